
/*
 * Each worker's keys from key requests. A worker holds a copy of each key
 * request's document from the shared zone and, for each verifier with key
 * requests, a verifier built from its key files and those documents. A request
 * compares generations (no lock, no copy when nothing changed); when a newer
 * document is in the zone the worker copies it and builds a new verifier,
 * which replaces the old one whole: the old verifier and its token caches are
 * freed at once, since a verification runs to its end before the worker does
 * anything else and nothing a request keeps points into them (claims live in
 * the request's scratch). So a token cached under a retired key is never
 * answered from a cache again.
 *
 * This state is the worker's own, made when the worker starts: the
 * configuration it comes from is never written on the request path.
 */


#include "ngx_http_tollgate_module.h"


static void ngx_http_tollgate_build_live(ngx_log_t *log,
    ngx_http_tollgate_verifier_t *v, ngx_http_tollgate_live_t *live);
static void ngx_http_tollgate_drop_live(ngx_http_tollgate_live_t *live,
    ngx_uint_t ncaches);


static ngx_http_tollgate_held_t  *ngx_http_tollgate_helds;
static ngx_http_tollgate_live_t  *ngx_http_tollgate_lives;
static ngx_uint_t                 ngx_http_tollgate_serial;


ngx_int_t
ngx_http_tollgate_init_worker(ngx_cycle_t *cycle)
{
    ngx_uint_t                       i, n, ncaches;
    ngx_http_tollgate_live_t        *live;
    ngx_http_tollgate_source_t     **s;
    ngx_http_tollgate_verifier_t   **v;
    ngx_http_tollgate_main_conf_t   *tmcf;

    tmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_tollgate_module);

    if (tmcf == NULL || tmcf->sources.nelts == 0) {
        return NGX_OK;
    }

    ngx_http_tollgate_attach_zone(tmcf);

    n = tmcf->sources.nelts;
    s = tmcf->sources.elts;

    ngx_http_tollgate_helds = ngx_pcalloc(cycle->pool,
                                        n * sizeof(ngx_http_tollgate_held_t));
    if (ngx_http_tollgate_helds == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        ngx_http_tollgate_helds[i].source = s[i];
        ngx_queue_init(&ngx_http_tollgate_helds[i].waiters);
    }

    n = tmcf->verifiers.nelts;
    v = tmcf->verifiers.elts;
    ncaches = tmcf->caches.nelts;

    ngx_http_tollgate_lives = ngx_pcalloc(cycle->pool,
                                        n * sizeof(ngx_http_tollgate_live_t));
    if (ngx_http_tollgate_lives == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (v[i]->sources == NULL) {
            continue;
        }

        live = &ngx_http_tollgate_lives[i];

        live->caches = ngx_pcalloc(cycle->pool,
                                   (ncaches + 1) * sizeof(tollgate_cache *));
        live->failed = ngx_pcalloc(cycle->pool,
                                   (ncaches + 1) * sizeof(ngx_uint_t));
        live->built = ngx_pcalloc(cycle->pool,
                                  v[i]->sources->nelts * sizeof(uint64_t));

        if (live->caches == NULL || live->failed == NULL
            || live->built == NULL)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


void
ngx_http_tollgate_exit_worker(ngx_cycle_t *cycle)
{
    ngx_uint_t                       i;
    ngx_http_tollgate_verifier_t   **v;
    ngx_http_tollgate_main_conf_t   *tmcf;

    tmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_tollgate_module);

    if (tmcf == NULL || ngx_http_tollgate_helds == NULL) {
        return;
    }

    v = tmcf->verifiers.elts;

    for (i = 0; i < tmcf->verifiers.nelts; i++) {
        if (v[i]->sources) {
            ngx_http_tollgate_drop_live(&ngx_http_tollgate_lives[i],
                                        tmcf->caches.nelts);
        }
    }

    for (i = 0; i < tmcf->sources.nelts; i++) {
        if (ngx_http_tollgate_helds[i].jwks.data) {
            ngx_free(ngx_http_tollgate_helds[i].jwks.data);
            ngx_http_tollgate_helds[i].jwks.data = NULL;
        }
    }
}


ngx_http_tollgate_held_t *
ngx_http_tollgate_held(ngx_http_tollgate_source_t *s)
{
    return &ngx_http_tollgate_helds[s->index];
}


/*
 * The worker's current verifier of "v", after taking any newer documents from
 * the zone; its "verifier" is NULL while there are no keys at all.
 */

ngx_http_tollgate_live_t *
ngx_http_tollgate_live(ngx_log_t *log, ngx_http_tollgate_verifier_t *v)
{
    ngx_uint_t                    i, changed;
    ngx_http_tollgate_held_t     *held;
    ngx_http_tollgate_live_t     *live;
    ngx_http_tollgate_source_t  **s;

    live = &ngx_http_tollgate_lives[v->index];
    s = v->sources->elts;
    changed = (live->serial == 0);

    for (i = 0; i < v->sources->nelts; i++) {
        held = &ngx_http_tollgate_helds[s[i]->index];

        (void) ngx_http_tollgate_zone_pull(held, log);

        if (held->generation != live->built[i]) {
            changed = 1;
        }
    }

    if (changed) {
        ngx_http_tollgate_build_live(log, v, live);
    }

    return live;
}


/*
 * A new verifier from the key files and the documents, replacing the current
 * one; if they do not combine (too many keys, a key in two sets), the current
 * one stays and the error log says why, once per change.
 */

static void
ngx_http_tollgate_build_live(ngx_log_t *log, ngx_http_tollgate_verifier_t *v,
    ngx_http_tollgate_live_t *live)
{
    size_t                        nkeys;
    ngx_str_t                    *file;
    ngx_uint_t                    i, n;
    tollgate_status               rc;
    tollgate_keyset              *keys;
    tollgate_verifier            *verifier;
    ngx_http_tollgate_held_t     *held;
    ngx_http_tollgate_source_t  **s;
    ngx_http_tollgate_main_conf_t  *tmcf;

    s = v->sources->elts;
    n = v->sources->nelts;

    /* tried once per change, whatever the outcome */

    live->serial = live->serial ? live->serial : ++ngx_http_tollgate_serial;

    for (i = 0; i < n; i++) {
        live->built[i] = ngx_http_tollgate_helds[s[i]->index].generation;
    }

    keys = NULL;
    rc = tollgate_keyset_new(&keys);

    if (rc == TOLLGATE_STATUS_OK && v->jwks) {
        file = v->jwks->elts;

        for (i = 0; rc == TOLLGATE_STATUS_OK && i < v->jwks->nelts; i++) {
            rc = tollgate_keyset_add_jwks(keys, file[i].data, file[i].len,
                                          NULL);
        }
    }

    for (i = 0; rc == TOLLGATE_STATUS_OK && i < n; i++) {
        held = &ngx_http_tollgate_helds[s[i]->index];

        if (held->jwks.len == 0) {
            continue;
        }

        rc = tollgate_keyset_add_jwks(keys, held->jwks.data, held->jwks.len,
                                      NULL);

        if (rc != TOLLGATE_STATUS_OK) {
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "tollgate: the keys of key request \"%V\" do not "
                          "combine with the others: %s (%s); the keys in "
                          "use stay", &s[i]->uri, tollgate_status_str(rc),
                          tollgate_status_name(rc));
        }
    }

    nkeys = tollgate_keyset_len(keys);
    verifier = NULL;

    if (rc == TOLLGATE_STATUS_OK && nkeys) {
        rc = tollgate_verifier_new(keys, v->policy, &verifier);

        if (rc != TOLLGATE_STATUS_OK) {
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "tollgate: no verifier from the key requests: "
                          "%s (%s); the keys in use stay",
                          tollgate_status_str(rc), tollgate_status_name(rc));
        }
    }

    tollgate_keyset_free(keys);

    if (verifier == NULL) {
        return;
    }

    tmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_tollgate_module);

    ngx_http_tollgate_drop_live(live, tmcf->caches.nelts);

    live->verifier = verifier;
    live->keys = nkeys;
    live->serial = ++ngx_http_tollgate_serial;

    ngx_log_error(NGX_LOG_INFO, log, 0,
                  "tollgate: %uz keys in use from key requests", nkeys);
}


/* a verifier's caches go before it: they point into it */

static void
ngx_http_tollgate_drop_live(ngx_http_tollgate_live_t *live,
    ngx_uint_t ncaches)
{
    ngx_uint_t  i;

    for (i = 0; i < ncaches; i++) {
        tollgate_cache_free(live->caches[i]);
        live->caches[i] = NULL;
        live->failed[i] = 0;
    }

    tollgate_verifier_free(live->verifier);
    live->verifier = NULL;
}
