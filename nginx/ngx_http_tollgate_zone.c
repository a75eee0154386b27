
/*
 * Key requests in shared memory. Every worker reads the same key sets: one
 * zone holds, for each key request, the last good document fetched, its
 * generation (a number given out once per zone, so equal numbers mean the same
 * document), when it was fetched and tried, the back-off after failures, and a
 * claim with an expiry on the fetch in progress, so one worker fetches for all
 * and a worker that dies while fetching cannot hold the claim for long.
 *
 * Everything is read and written under the zone's mutex, except a worker's
 * look at a generation or a time to see whether there is anything to do.
 * Documents are copied out under the lock and parsed outside it. A slot is
 * named by its key request's identity — server, URI and timings — which is
 * checked under the lock on every use: after a reload gives a slot to another
 * key request, a worker of the old configuration stops using it rather than
 * read keys meant for another location.
 */


#include "ngx_http_tollgate_module.h"


/* server index, server name, URI and timings, in a slot */
#define NGX_HTTP_TOLLGATE_IDENTITY_LEN  1024

/* the longest back-off between failed fetches */
#define NGX_HTTP_TOLLGATE_MAX_BACKOFF   300

/*
 * ms before another fetch may start after one was abandoned (its client left):
 * clients that leave mid-fetch must not buy a fetch each
 */
#define NGX_HTTP_TOLLGATE_ABANDONED     1000

/*
 * Seconds on the monotonic clock nginx keeps (ngx_current_msec, the same in
 * every process), from 1: a wall clock set back would hold every refresh and
 * claim for as long, and 0 means "never" in a slot.
 */
#define ngx_http_tollgate_now()  ((time_t) (ngx_current_msec / 1000) + 1)


typedef struct {
    u_char                         identity[NGX_HTTP_TOLLGATE_IDENTITY_LEN];
    size_t                         identity_len;

    ngx_atomic_t                   generation;  /* 0: no document */
    size_t                         len;
    u_char                        *jwks;        /* MAX_JWKS bytes */

    time_t                         fetched;     /* the last success, or 0 */
    time_t                         attempted;   /* the last fetch begun, or 0 */
    time_t                         next;        /* none before: back-off */
    time_t                         claimed;     /* a fetch runs until then */
    ngx_msec_t                     resume;      /* after an abandoned one */
    ngx_pid_t                      claimant;
    ngx_uint_t                     failures;    /* in a row */
} ngx_http_tollgate_slot_t;


typedef struct {
    ngx_uint_t                     generation;  /* the last given out */
    ngx_uint_t                     nslots;
    ngx_http_tollgate_slot_t      *slots;
} ngx_http_tollgate_shm_t;


static ngx_int_t ngx_http_tollgate_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_tollgate_reuse_zone(ngx_shm_zone_t *shm_zone,
    ngx_http_tollgate_shm_t *sh, ngx_array_t *sources);
static void ngx_http_tollgate_inherit(ngx_shm_zone_t *shm_zone,
    ngx_http_tollgate_shm_t *sh);
static void ngx_http_tollgate_name_slot(ngx_http_tollgate_slot_t *slot,
    ngx_http_tollgate_source_t *s);
static ngx_inline ngx_http_tollgate_slot_t *ngx_http_tollgate_slot(
    ngx_http_tollgate_source_t *s, ngx_slab_pool_t **shpool);
static ngx_uint_t ngx_http_tollgate_owns(ngx_http_tollgate_slot_t *slot,
    ngx_http_tollgate_source_t *s);


static ngx_str_t  ngx_http_tollgate_zone_name =
    ngx_string("tollgate_key_requests");

/* the zone as this worker sees it, from ngx_http_tollgate_attach_zone() */
static ngx_slab_pool_t          *ngx_http_tollgate_shpool;
static ngx_http_tollgate_shm_t  *ngx_http_tollgate_sh;


/*
 * Resolves a location's auth_jwt_key_request URIs to key requests of its
 * server, made once per server, URI and timings.
 */

char *
ngx_http_tollgate_use_sources(ngx_conf_t *cf,
    ngx_http_tollgate_loc_conf_t *tlcf)
{
    u_char                          *p, *q;
    ngx_str_t                       *uri, identity;
    ngx_uint_t                       i, j, server;
    ngx_http_core_srv_conf_t        *cscf, **cscfp;
    ngx_http_core_main_conf_t       *cmcf;
    ngx_http_tollgate_source_t      *s, **ps, **sources;
    ngx_http_tollgate_main_conf_t   *tmcf;

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_tollgate_module);
    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    cscfp = cmcf->servers.elts;

    for (server = 0; server < cmcf->servers.nelts; server++) {
        if (cscfp[server] == cscf) {
            break;
        }
    }

    tlcf->sources = ngx_array_create(cf->pool, tlcf->key_requests->nelts,
                                     sizeof(ngx_http_tollgate_source_t *));
    if (tlcf->sources == NULL) {
        return NGX_CONF_ERROR;
    }

    uri = tlcf->key_requests->elts;

    for (i = 0; i < tlcf->key_requests->nelts; i++) {

        identity.len = NGX_INT_T_LEN + cscf->server_name.len + uri[i].len
                       + 2 * NGX_TIME_T_LEN + 4;
        identity.data = ngx_pnalloc(cf->pool, identity.len);
        if (identity.data == NULL) {
            return NGX_CONF_ERROR;
        }

        identity.len = ngx_sprintf(identity.data, "%ui %V %V %T %T", server,
                                   &cscf->server_name, &uri[i],
                                   tlcf->key_cache, tlcf->key_interval)
                       - identity.data;

        if (identity.len > NGX_HTTP_TOLLGATE_IDENTITY_LEN) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "auth_jwt_key_request \"%V\" is too long",
                               &uri[i]);
            return NGX_CONF_ERROR;
        }

        s = NULL;
        sources = tmcf->sources.elts;

        for (j = 0; j < tmcf->sources.nelts; j++) {
            if (sources[j]->identity.len == identity.len
                && ngx_memcmp(sources[j]->identity.data, identity.data,
                              identity.len)
                   == 0)
            {
                s = sources[j];
                break;
            }
        }

        if (s == NULL) {
            s = ngx_pcalloc(cf->pool, sizeof(ngx_http_tollgate_source_t));
            if (s == NULL) {
                return NGX_CONF_ERROR;
            }

            s->uri = uri[i];
            s->identity = identity;
            s->cache = tlcf->key_cache;
            s->interval = tlcf->key_interval;
            s->index = tmcf->sources.nelts;

            p = uri[i].data;
            q = ngx_strlchr(p, p + uri[i].len, '?');

            if (q) {
                s->uri.len = q - p;
                s->args.data = q + 1;
                s->args.len = p + uri[i].len - (q + 1);
            }

            ps = ngx_array_push(&tmcf->sources);
            if (ps == NULL) {
                return NGX_CONF_ERROR;
            }

            *ps = s;
        }

        ps = ngx_array_push(tlcf->sources);
        if (ps == NULL) {
            return NGX_CONF_ERROR;
        }

        *ps = s;
    }

    return NGX_CONF_OK;
}


/*
 * One zone for all key requests, a slot and a largest document each. nginx
 * keeps a zone of the same name and size across a reload, so new workers start
 * from the documents the old ones fetched.
 */

ngx_int_t
ngx_http_tollgate_add_zone(ngx_conf_t *cf)
{
    size_t                          size;
    ngx_uint_t                      n;
    ngx_shm_zone_t                 *zone;
    ngx_http_tollgate_main_conf_t  *tmcf;

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_tollgate_module);

    n = tmcf->sources.nelts;

    if (n == 0) {
        return NGX_OK;
    }

    /*
     * Without a master process nginx reloads in its one process and starts no
     * worker again: the per-worker state of key requests (ngx_http_tollgate_
     * live.c) would stay the old configuration's, indexed by the new one, and
     * the old zone would be unmapped under it.
     */

    if (ngx_process == NGX_PROCESS_SINGLE
        && !ngx_is_init_cycle(cf->cycle->old_cycle))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "auth_jwt_key_request cannot be reloaded without "
                           "a master process (master_process off): restart "
                           "nginx instead");
        return NGX_ERROR;
    }

    /* the documents, the slots, and the slab allocator's own pages */

    size = n * (NGX_HTTP_TOLLGATE_MAX_JWKS + sizeof(ngx_http_tollgate_slot_t)
                + 2 * ngx_pagesize)
           + 16 * ngx_pagesize;
    size += size / 32;

    zone = ngx_shared_memory_add(cf, &ngx_http_tollgate_zone_name, size,
                                 &ngx_http_tollgate_module);
    if (zone == NULL) {
        return NGX_ERROR;
    }

    zone->init = ngx_http_tollgate_init_zone;
    zone->data = &tmcf->sources;   /* until the zone is initialised */

    tmcf->zone = zone;

    return NGX_OK;
}


/* in the master, when the cycle starts: "data" is the old zone's, or NULL */

static ngx_int_t
ngx_http_tollgate_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_uint_t                    i, n;
    ngx_array_t                  *sources;
    ngx_slab_pool_t              *shpool;
    ngx_http_tollgate_shm_t      *sh;
    ngx_http_tollgate_slot_t     *slot;
    ngx_http_tollgate_source_t  **s;

    sources = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;
    n = sources->nelts;

    if (data) {
        return ngx_http_tollgate_reuse_zone(shm_zone, data, sources);
    }

    sh = ngx_slab_calloc(shpool, sizeof(ngx_http_tollgate_shm_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    sh->nslots = n;
    sh->slots = ngx_slab_calloc(shpool, n * sizeof(ngx_http_tollgate_slot_t));
    if (sh->slots == NULL) {
        return NGX_ERROR;
    }

    s = sources->elts;

    for (i = 0; i < n; i++) {
        slot = &sh->slots[i];

        slot->jwks = ngx_slab_alloc(shpool, NGX_HTTP_TOLLGATE_MAX_JWKS);
        if (slot->jwks == NULL) {
            return NGX_ERROR;
        }

        ngx_http_tollgate_name_slot(slot, s[i]);
        s[i]->slot = i;
    }

    shpool->data = sh;
    shm_zone->data = sh;

    ngx_http_tollgate_inherit(shm_zone, sh);

    return NGX_OK;
}


/*
 * A reload with another number of key requests gets a zone of another size,
 * so a new one: each key request the old zone also had starts from the
 * document fetched there, due for a refresh, as if the zone had been kept, or
 * the provider being down at that reload would leave every request without
 * keys. In the master, while the old cycle (ngx_cycle) and its zone are
 * still there; the old workers may write to it, hence its lock.
 */

static void
ngx_http_tollgate_inherit(ngx_shm_zone_t *shm_zone, ngx_http_tollgate_shm_t *sh)
{
    ngx_uint_t                 i, j, n;
    ngx_list_part_t           *part;
    ngx_shm_zone_t            *zone;
    ngx_slab_pool_t           *opool;
    ngx_http_tollgate_shm_t   *osh;
    ngx_http_tollgate_slot_t  *slot, *old;

    if (ngx_is_init_cycle(ngx_cycle)) {
        return;
    }

    osh = NULL;
    opool = NULL;
    part = &((ngx_cycle_t *) ngx_cycle)->shared_memory.part;
    zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            zone = part->elts;
            i = 0;
        }

        if (zone[i].tag == shm_zone->tag
            && zone[i].shm.addr != shm_zone->shm.addr
            && zone[i].data != NULL
            && zone[i].shm.name.len == shm_zone->shm.name.len
            && ngx_strncmp(zone[i].shm.name.data, shm_zone->shm.name.data,
                           shm_zone->shm.name.len)
               == 0)
        {
            osh = zone[i].data;
            opool = (ngx_slab_pool_t *) zone[i].shm.addr;
            break;
        }
    }

    if (osh == NULL) {
        return;
    }

    n = 0;

    ngx_shmtx_lock(&opool->mutex);

    for (i = 0; i < sh->nslots; i++) {
        slot = &sh->slots[i];

        for (j = 0; j < osh->nslots; j++) {
            old = &osh->slots[j];

            if (old->generation == 0 || old->len == 0
                || old->len > NGX_HTTP_TOLLGATE_MAX_JWKS
                || old->identity_len != slot->identity_len
                || ngx_memcmp(old->identity, slot->identity,
                              slot->identity_len)
                   != 0)
            {
                continue;
            }

            ngx_memcpy(slot->jwks, old->jwks, old->len);
            slot->len = old->len;
            slot->generation = ++sh->generation;
            n++;
            break;
        }
    }

    ngx_shmtx_unlock(&opool->mutex);

    if (n) {
        ngx_log_error(NGX_LOG_NOTICE, shm_zone->shm.log, 0,
                      "tollgate: %ui key sets kept across the reload",  n);
    }
}


/*
 * A reload with the same number of key requests: each keeps its slot and
 * document, due for a refresh (the location behind a URI may have changed with
 * the configuration), and a new one takes a slot no key request of the new
 * configuration has, emptied.
 */

static ngx_int_t
ngx_http_tollgate_reuse_zone(ngx_shm_zone_t *shm_zone,
    ngx_http_tollgate_shm_t *sh, ngx_array_t *sources)
{
    ngx_uint_t                    i, j, *taken;
    ngx_slab_pool_t              *shpool;
    ngx_http_tollgate_slot_t     *slot;
    ngx_http_tollgate_source_t  **s;

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;
    shm_zone->data = sh;

    if (sh->nslots != sources->nelts) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "tollgate: the key request zone does not fit");
        return NGX_ERROR;
    }

    taken = ngx_calloc(sh->nslots * sizeof(ngx_uint_t), shm_zone->shm.log);
    if (taken == NULL) {
        return NGX_ERROR;
    }

    s = sources->elts;

    ngx_shmtx_lock(&shpool->mutex);

    for (i = 0; i < sources->nelts; i++) {
        s[i]->slot = NGX_CONF_UNSET_UINT;

        for (j = 0; j < sh->nslots; j++) {
            if (!taken[j] && ngx_http_tollgate_owns(&sh->slots[j], s[i])) {
                s[i]->slot = j;
                taken[j] = 1;
                sh->slots[j].fetched = 0;
                break;
            }
        }
    }

    for (i = 0; i < sources->nelts; i++) {
        if (s[i]->slot != NGX_CONF_UNSET_UINT) {
            continue;
        }

        for (j = 0; taken[j]; j++) { /* void */ }

        taken[j] = 1;
        s[i]->slot = j;

        slot = &sh->slots[j];
        ngx_http_tollgate_name_slot(slot, s[i]);

        slot->generation = 0;
        slot->len = 0;
        slot->fetched = 0;
        slot->attempted = 0;
        slot->next = 0;
        slot->claimed = 0;
        slot->resume = 0;
        slot->claimant = 0;
        slot->failures = 0;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    ngx_free(taken);

    return NGX_OK;
}


static void
ngx_http_tollgate_name_slot(ngx_http_tollgate_slot_t *slot,
    ngx_http_tollgate_source_t *s)
{
    ngx_memcpy(slot->identity, s->identity.data, s->identity.len);
    slot->identity_len = s->identity.len;
}


/* when a worker starts: its requests then find the zone in two loads */

void
ngx_http_tollgate_attach_zone(ngx_http_tollgate_main_conf_t *tmcf)
{
    ngx_http_tollgate_shpool = (ngx_slab_pool_t *) tmcf->zone->shm.addr;
    ngx_http_tollgate_sh = tmcf->zone->data;
}


static ngx_inline ngx_http_tollgate_slot_t *
ngx_http_tollgate_slot(ngx_http_tollgate_source_t *s, ngx_slab_pool_t **shpool)
{
    *shpool = ngx_http_tollgate_shpool;

    return &ngx_http_tollgate_sh->slots[s->slot];
}


/* under the lock */

static ngx_uint_t
ngx_http_tollgate_owns(ngx_http_tollgate_slot_t *slot,
    ngx_http_tollgate_source_t *s)
{
    return slot->identity_len == s->identity.len
           && ngx_memcmp(slot->identity, s->identity.data, s->identity.len)
              == 0;
}


/*
 * Copies a newer document than the worker holds, if there is one: NGX_OK when
 * it did, NGX_DECLINED when there is nothing newer, NGX_ERROR.
 */

ngx_int_t
ngx_http_tollgate_zone_pull(ngx_http_tollgate_held_t *held, ngx_log_t *log)
{
    u_char                    *copy;
    size_t                     len;
    ngx_uint_t                 generation;
    ngx_slab_pool_t           *shpool;
    ngx_http_tollgate_slot_t  *slot;

    if (held->lost) {
        return NGX_DECLINED;
    }

    slot = ngx_http_tollgate_slot(held->source, &shpool);

    /* the common case, without the lock: nothing new */

    if (slot->generation == held->generation) {
        return NGX_DECLINED;
    }

    ngx_shmtx_lock(&shpool->mutex);

    if (!ngx_http_tollgate_owns(slot, held->source)) {
        ngx_shmtx_unlock(&shpool->mutex);

        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "tollgate: key request \"%V\" was replaced by a "
                      "reload; this worker keeps its keys until it exits",
                      &held->source->uri);
        held->lost = 1;
        return NGX_DECLINED;
    }

    generation = slot->generation;
    len = slot->len;

    if (generation == 0 || len == 0) {
        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_DECLINED;
    }

    copy = ngx_alloc(len, log);
    if (copy == NULL) {
        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_ERROR;
    }

    ngx_memcpy(copy, slot->jwks, len);

    ngx_shmtx_unlock(&shpool->mutex);

    if (held->jwks.data) {
        ngx_free(held->jwks.data);
    }

    held->jwks.data = copy;
    held->jwks.len = len;
    held->generation = generation;

    return NGX_OK;
}


/* a time of 0 in the slot is long ago */

static ngx_inline ngx_uint_t
ngx_http_tollgate_not_due(ngx_http_tollgate_slot_t *slot,
    ngx_http_tollgate_source_t *s, ngx_uint_t why, time_t now)
{
    if (now < slot->next) {
        return 1;
    }

    if (why == NGX_HTTP_TOLLGATE_FETCH_EXPIRED) {
        return slot->fetched && now < slot->fetched + s->cache;
    }

    if (why == NGX_HTTP_TOLLGATE_FETCH_EARLY) {
        return slot->attempted && now < slot->attempted + s->interval;
    }

    return 0;
}


/*
 * Whether this worker may fetch now, for "why": NGX_OK, and the claim is its
 * own until it stores, fails or releases; NGX_BUSY, another worker's fetch is
 * under way; NGX_DECLINED, not due, or backing off after failures.
 */

ngx_int_t
ngx_http_tollgate_zone_claim(ngx_http_tollgate_source_t *s, ngx_uint_t why)
{
    time_t                     now;
    ngx_int_t                  rc;
    ngx_slab_pool_t           *shpool;
    ngx_http_tollgate_slot_t  *slot;

    slot = ngx_http_tollgate_slot(s, &shpool);
    now = ngx_http_tollgate_now();

    /* without the lock first: most requests find nothing due */

    if (ngx_http_tollgate_not_due(slot, s, why, now)) {
        return NGX_DECLINED;
    }

    ngx_shmtx_lock(&shpool->mutex);

    if (!ngx_http_tollgate_owns(slot, s)) {
        rc = NGX_DECLINED;

    } else if (slot->claimed > now
               || (slot->resume
                   && (ngx_msec_int_t) (slot->resume - ngx_current_msec) > 0))
    {
        /* a fetch runs, or may start again soon after one was abandoned */
        rc = NGX_BUSY;

    } else if (ngx_http_tollgate_not_due(slot, s, why, now)
               || (why == NGX_HTTP_TOLLGATE_FETCH_FIRST && slot->generation))
    {
        rc = NGX_DECLINED;

    } else {
        slot->claimed = now + NGX_HTTP_TOLLGATE_CLAIM;
        slot->claimant = ngx_pid;
        slot->attempted = now;
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


/*
 * A fetched document that was a usable key set: NGX_OK when it differs from the
 * one stored (a new generation), NGX_DECLINED when it is the same.
 */

ngx_int_t
ngx_http_tollgate_zone_store(ngx_http_tollgate_source_t *s, u_char *jwks,
    size_t len)
{
    ngx_int_t                  rc;
    ngx_slab_pool_t           *shpool;
    ngx_http_tollgate_shm_t   *sh;
    ngx_http_tollgate_slot_t  *slot;

    slot = ngx_http_tollgate_slot(s, &shpool);

    ngx_shmtx_lock(&shpool->mutex);

    if (!ngx_http_tollgate_owns(slot, s)) {
        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_DECLINED;
    }

    rc = NGX_DECLINED;

    if (slot->generation == 0 || slot->len != len
        || ngx_memcmp(slot->jwks, jwks, len) != 0)
    {
        sh = shpool->data;

        ngx_memcpy(slot->jwks, jwks, len);
        slot->len = len;
        slot->generation = ++sh->generation;
        rc = NGX_OK;
    }

    slot->fetched = ngx_http_tollgate_now();
    slot->failures = 0;
    slot->next = 0;

    if (slot->claimant == ngx_pid) {
        slot->claimed = 0;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


/*
 * A failed fetch: the stored document stays, and the next try waits twice as
 * long as the last, from the refresh interval up to the key cache time (at
 * most 5 minutes).
 */

void
ngx_http_tollgate_zone_fail(ngx_http_tollgate_source_t *s)
{
    time_t                     backoff, limit;
    ngx_slab_pool_t           *shpool;
    ngx_http_tollgate_slot_t  *slot;

    slot = ngx_http_tollgate_slot(s, &shpool);

    limit = ngx_min(s->cache, NGX_HTTP_TOLLGATE_MAX_BACKOFF);
    limit = ngx_max(limit, s->interval);

    ngx_shmtx_lock(&shpool->mutex);

    if (ngx_http_tollgate_owns(slot, s)) {
        backoff = s->interval;

        if (slot->failures < 16) {
            backoff <<= slot->failures;
        }

        slot->failures++;
        slot->next = ngx_http_tollgate_now() + ngx_min(backoff, limit);

        if (slot->claimant == ngx_pid) {
            slot->claimed = 0;
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


/*
 * A fetch abandoned with its request (the client left) or never started: not
 * the identity provider's failure, so no back-off, but no other fetch for a
 * moment either, or each client that leaves mid-fetch would buy another.
 */

void
ngx_http_tollgate_zone_release(ngx_http_tollgate_source_t *s)
{
    ngx_slab_pool_t           *shpool;
    ngx_http_tollgate_slot_t  *slot;

    slot = ngx_http_tollgate_slot(s, &shpool);

    ngx_shmtx_lock(&shpool->mutex);

    if (ngx_http_tollgate_owns(slot, s) && slot->claimant == ngx_pid) {
        slot->claimed = 0;
        slot->resume = ngx_current_msec + NGX_HTTP_TOLLGATE_ABANDONED;
        slot->resume += (slot->resume == 0);
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


/* seconds until a fetch may succeed: for Retry-After */

time_t
ngx_http_tollgate_zone_retry_after(ngx_http_tollgate_source_t *s)
{
    time_t                     now, t;
    ngx_slab_pool_t           *shpool;
    ngx_http_tollgate_slot_t  *slot;

    slot = ngx_http_tollgate_slot(s, &shpool);
    now = ngx_http_tollgate_now();

    ngx_shmtx_lock(&shpool->mutex);

    t = ngx_max(slot->next, slot->claimed) - now;

    ngx_shmtx_unlock(&shpool->mutex);

    return ngx_max(t, 1);
}
