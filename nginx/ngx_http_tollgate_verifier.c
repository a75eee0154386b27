
/*
 * Verifiers and token caches. A verifier is built once per distinct key set and
 * policy and shared by every location that has them (with auth_jwt at http
 * level, one for all servers), in the configuration's pool, wiped by a pool
 * cleanup when that configuration goes away.
 *
 * A token cache belongs to one verifier and size, and is made by each worker
 * when it first verifies with it: never in the master, so reading a
 * configuration costs no cache memory, and a worker pays only for the caches it
 * uses.
 */


#include "ngx_http_tollgate_module.h"


#define ngx_http_tollgate_str(s)  (const uint8_t *) (s)->data, (s)->len


static ngx_uint_t ngx_http_tollgate_same(ngx_http_tollgate_verifier_t *v,
    ngx_http_tollgate_loc_conf_t *tlcf);
static ngx_uint_t ngx_http_tollgate_same_str(ngx_str_t *a, ngx_str_t *b);
static ngx_uint_t ngx_http_tollgate_same_strs(ngx_array_t *a, ngx_array_t *b);
static ngx_uint_t ngx_http_tollgate_same_sources(ngx_array_t *a,
    ngx_array_t *b);
static ngx_http_tollgate_verifier_t *ngx_http_tollgate_build(ngx_conf_t *cf,
    ngx_http_tollgate_loc_conf_t *tlcf);
static ngx_int_t ngx_http_tollgate_scope_hint(ngx_conf_t *cf,
    ngx_http_tollgate_verifier_t *v);
static ngx_http_tollgate_cache_t *ngx_http_tollgate_use_cache(ngx_conf_t *cf,
    ngx_http_tollgate_verifier_t *v, size_t slots);
static void ngx_http_tollgate_cleanup_verifier(void *data);
static void ngx_http_tollgate_cleanup_policy(void *data);
static void ngx_http_tollgate_cleanup_cache(void *data);
static tollgate_status ngx_http_tollgate_verify_live(ngx_http_request_t *r,
    ngx_http_tollgate_cache_t *tc, ngx_http_tollgate_live_t *live,
    ngx_str_t *token, tollgate_scratch *scratch,
    const tollgate_claims **claims);


/*
 * finds or builds the verifier (and the cache) of a merged location
 * configuration
 */

char *
ngx_http_tollgate_use_verifier(ngx_conf_t *cf,
    ngx_http_tollgate_loc_conf_t *tlcf)
{
    ngx_uint_t                       i;
    ngx_http_tollgate_verifier_t   **v;
    ngx_http_tollgate_main_conf_t   *tmcf;

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_tollgate_module);

    tlcf->verifier = NULL;
    v = tmcf->verifiers.elts;

    for (i = 0; i < tmcf->verifiers.nelts; i++) {
        if (ngx_http_tollgate_same(v[i], tlcf)) {
            tlcf->verifier = v[i];
            break;
        }
    }

    if (tlcf->verifier == NULL) {
        tlcf->verifier = ngx_http_tollgate_build(cf, tlcf);
        if (tlcf->verifier == NULL) {
            return NGX_CONF_ERROR;
        }

        tlcf->verifier->index = tmcf->verifiers.nelts;

        v = ngx_array_push(&tmcf->verifiers);
        if (v == NULL) {
            return NGX_CONF_ERROR;
        }

        *v = tlcf->verifier;
    }

    tlcf->cache = NULL;

    if (tlcf->cache_slots) {
        tlcf->cache = ngx_http_tollgate_use_cache(cf, tlcf->verifier,
                                                  (size_t) tlcf->cache_slots);
        if (tlcf->cache == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static ngx_uint_t
ngx_http_tollgate_same(ngx_http_tollgate_verifier_t *v,
    ngx_http_tollgate_loc_conf_t *tlcf)
{
    return v->leeway == tlcf->leeway
           && ngx_http_tollgate_same_str(&v->issuer, &tlcf->issuer)
           && ngx_http_tollgate_same_str(&v->type, &tlcf->type)
           && ngx_http_tollgate_same_strs(v->audiences, tlcf->audiences)
           && ngx_http_tollgate_same_strs(v->scopes, tlcf->scopes)
           && ngx_http_tollgate_same_strs(v->jwks, tlcf->jwks)
           && ngx_http_tollgate_same_sources(v->sources, tlcf->sources);
}


/* key requests are made once per server, URI and timings: by address */

static ngx_uint_t
ngx_http_tollgate_same_sources(ngx_array_t *a, ngx_array_t *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }

    return a->nelts == b->nelts
           && ngx_memcmp(a->elts, b->elts, a->nelts * a->size) == 0;
}


/*
 * by content: inherited values share their memory, repeated ones are compared
 */

static ngx_uint_t
ngx_http_tollgate_same_str(ngx_str_t *a, ngx_str_t *b)
{
    return a->len == b->len
           && (a->len == 0
               || a->data == b->data
               || ngx_memcmp(a->data, b->data, a->len) == 0);
}


static ngx_uint_t
ngx_http_tollgate_same_strs(ngx_array_t *a, ngx_array_t *b)
{
    ngx_str_t   *sa, *sb;
    ngx_uint_t   i;

    if (a == b) {
        return 1;
    }

    if (a == NULL || b == NULL || a->nelts != b->nelts) {
        return 0;
    }

    sa = a->elts;
    sb = b->elts;

    for (i = 0; i < a->nelts; i++) {
        if (!ngx_http_tollgate_same_str(&sa[i], &sb[i])) {
            return 0;
        }
    }

    return 1;
}


static ngx_http_tollgate_verifier_t *
ngx_http_tollgate_build(ngx_conf_t *cf, ngx_http_tollgate_loc_conf_t *tlcf)
{
    void                          *mem;
    ngx_str_t                     *s;
    ngx_int_t                      file;
    ngx_uint_t                     i, n;
    const char                    *what;
    tollgate_status                rc;
    tollgate_policy               *policy;
    tollgate_keyset               *keys;
    ngx_pool_cleanup_t            *cln;
    ngx_http_tollgate_verifier_t  *v;

    v = ngx_pcalloc(cf->pool, sizeof(ngx_http_tollgate_verifier_t));
    if (v == NULL) {
        return NULL;
    }

    v->jwks = tlcf->jwks;
    v->issuer = tlcf->issuer;
    v->audiences = tlcf->audiences;
    v->leeway = tlcf->leeway;
    v->type = tlcf->type;
    v->scopes = tlcf->scopes;
    v->sources = tlcf->sources;

    policy = NULL;
    keys = NULL;

    /* with key requests, the files' keys are checked here, used by workers */

    rc = (tlcf->jwks == NULL) ? TOLLGATE_STATUS_OK
                              : ngx_http_tollgate_load_keys(tlcf->jwks, &keys,
                                                            &file);

    if (rc != TOLLGATE_STATUS_OK) {
        s = tlcf->jwks->elts;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "auth_jwt_key_file: the key files do not combine "
                           "(at file %i of %ui): %s (%s)",
                           file + 1, tlcf->jwks->nelts,
                           tollgate_status_str(rc), tollgate_status_name(rc));
        return NULL;
    }

    what = "auth_jwt";
    rc = tollgate_policy_new(&policy);

    /*
     * the directives checked their values; together they can still exceed a
     * limit
     */

    if (rc == TOLLGATE_STATUS_OK && tlcf->issuer.len) {
        what = "auth_jwt_issuer";
        rc = tollgate_policy_set_issuer(policy,
                                        ngx_http_tollgate_str(&tlcf->issuer));
    }

    if (rc == TOLLGATE_STATUS_OK && tlcf->type.len) {
        what = "auth_jwt_type";
        rc = tollgate_policy_set_type(policy,
                                      ngx_http_tollgate_str(&tlcf->type));
    }

    if (rc == TOLLGATE_STATUS_OK) {
        what = "auth_jwt_leeway";
        rc = tollgate_policy_set_leeway(policy, (uint32_t) tlcf->leeway);
    }

    if (tlcf->audiences) {
        s = tlcf->audiences->elts;
        n = tlcf->audiences->nelts;

        for (i = 0; rc == TOLLGATE_STATUS_OK && i < n; i++) {
            what = "auth_jwt_audience";
            rc = tollgate_policy_add_audience(policy,
                                              ngx_http_tollgate_str(&s[i]));
        }
    }

    if (tlcf->scopes) {
        s = tlcf->scopes->elts;
        n = tlcf->scopes->nelts;

        for (i = 0; rc == TOLLGATE_STATUS_OK && i < n; i++) {
            what = "auth_jwt_require_scope";
            rc = tollgate_policy_add_scope(policy,
                                           ngx_http_tollgate_str(&s[i]));
        }
    }

    mem = NULL;

    if (rc == TOLLGATE_STATUS_OK && tlcf->sources) {
        tollgate_keyset_free(keys);

        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            tollgate_policy_free(policy);
            return NULL;
        }

        cln->handler = ngx_http_tollgate_cleanup_policy;
        cln->data = policy;
        v->policy = policy;

        if (ngx_http_tollgate_scope_hint(cf, v) != NGX_OK) {
            return NULL;
        }

        return v;
    }

    if (rc == TOLLGATE_STATUS_OK) {
        what = "auth_jwt";
        mem = ngx_pmemalign(cf->pool, TOLLGATE_VERIFIER_SIZE,
                            TOLLGATE_VERIFIER_ALIGN);
        rc = (mem == NULL) ? TOLLGATE_STATUS_OUT_OF_MEMORY
                           : tollgate_verifier_init(mem, TOLLGATE_VERIFIER_SIZE,
                                                    keys, policy, &v->verifier);
    }

    /* the verifier holds copies */
    tollgate_policy_free(policy);
    tollgate_keyset_free(keys);

    if (rc != TOLLGATE_STATUS_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s: %s (%s)", what,
                           tollgate_status_str(rc), tollgate_status_name(rc));
        return NULL;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        tollgate_verifier_free(v->verifier);
        return NULL;
    }

    cln->handler = ngx_http_tollgate_cleanup_verifier;
    cln->data = v->verifier;

    if (ngx_http_tollgate_scope_hint(cf, v) != NGX_OK) {
        return NULL;
    }

    return v;
}


/* the scope="..." of a 403 challenge (RFC 6750 §3) */

static ngx_int_t
ngx_http_tollgate_scope_hint(ngx_conf_t *cf, ngx_http_tollgate_verifier_t *v)
{
    u_char      *p;
    size_t       len;
    ngx_str_t   *s;
    ngx_uint_t   i;

    if (v->scopes == NULL || v->scopes->nelts == 0) {
        return NGX_OK;
    }

    s = v->scopes->elts;
    len = 0;

    for (i = 0; i < v->scopes->nelts; i++) {
        len += s[i].len + 1;
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->scope_hint.data = p;

    for (i = 0; i < v->scopes->nelts; i++) {
        if (i) {
            *p++ = ' ';
        }

        p = ngx_cpymem(p, s[i].data, s[i].len);
    }

    v->scope_hint.len = p - v->scope_hint.data;

    return NGX_OK;
}


static ngx_http_tollgate_cache_t *
ngx_http_tollgate_use_cache(ngx_conf_t *cf, ngx_http_tollgate_verifier_t *v,
    size_t slots)
{
    ngx_uint_t                      i;
    ngx_pool_cleanup_t             *cln;
    ngx_http_tollgate_cache_t      *tc, **c;
    ngx_http_tollgate_main_conf_t  *tmcf;

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_tollgate_module);

    c = tmcf->caches.elts;

    for (i = 0; i < tmcf->caches.nelts; i++) {
        if (c[i]->verifier == v && c[i]->slots == slots) {
            return c[i];
        }
    }

    tc = ngx_pcalloc(cf->pool, sizeof(ngx_http_tollgate_cache_t));
    if (tc == NULL) {
        return NULL;
    }

    tc->verifier = v;
    tc->slots = slots;
    tc->index = tmcf->caches.nelts;

    /* registered after its verifier's cleanup, so it runs first */

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_tollgate_cleanup_cache;
    cln->data = tc;

    c = ngx_array_push(&tmcf->caches);
    if (c == NULL) {
        return NULL;
    }

    *c = tc;

    return tc;
}


/*
 * A client sends the same token until it expires: the cache answers a repeated
 * token after checking its time claims again.
 */

tollgate_status
ngx_http_tollgate_verify(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_http_tollgate_live_t *live,
    ngx_str_t *token, tollgate_scratch *scratch,
    const tollgate_claims **claims)
{
    tollgate_status             rc;
    ngx_http_tollgate_cache_t  *tc;

    tc = tlcf->cache;

    if (live) {
        return ngx_http_tollgate_verify_live(r, tc, live, token, scratch,
                                             claims);
    }

    if (tc && tc->cache == NULL && !tc->failed) {
        rc = tollgate_cache_new(tc->verifier->verifier, tc->slots, &tc->cache);

        if (rc != TOLLGATE_STATUS_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "tollgate: no token cache of %uz slots: %s; "
                          "verifying without", tc->slots,
                          tollgate_status_str(rc));
            tc->failed = 1;

        } else {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "tollgate: token cache of %uz slots made",
                           tc->slots);
        }
    }

    if (tc && tc->cache) {
        return tollgate_verify_cached_in(tc->cache, token->data, token->len,
                                         (int64_t) ngx_time(), scratch, claims);
    }

    return tollgate_verify_in(tlcf->verifier->verifier, token->data, token->len,
                              (int64_t) ngx_time(), scratch, claims);
}


/*
 * With key requests: the worker's current verifier, and its own caches, made
 * on first use and freed with it (ngx_http_tollgate_live.c).
 */

static tollgate_status
ngx_http_tollgate_verify_live(ngx_http_request_t *r,
    ngx_http_tollgate_cache_t *tc, ngx_http_tollgate_live_t *live,
    ngx_str_t *token, tollgate_scratch *scratch,
    const tollgate_claims **claims)
{
    tollgate_status   rc;
    tollgate_cache  **cache;

    cache = tc ? &live->caches[tc->index] : NULL;

    if (cache && *cache == NULL && !live->failed[tc->index]) {
        rc = tollgate_cache_new(live->verifier, tc->slots, cache);

        if (rc != TOLLGATE_STATUS_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "tollgate: no token cache of %uz slots: %s; "
                          "verifying without", tc->slots,
                          tollgate_status_str(rc));
            live->failed[tc->index] = 1;
        }
    }

    if (cache && *cache) {
        return tollgate_verify_cached_in(*cache, token->data, token->len,
                                         (int64_t) ngx_time(), scratch, claims);
    }

    return tollgate_verify_in(live->verifier, token->data, token->len,
                              (int64_t) ngx_time(), scratch, claims);
}


/* on reload the old cycle's pool goes, and the keys are wiped with it */

static void
ngx_http_tollgate_cleanup_verifier(void *data)
{
    tollgate_verifier_free(data);
}


static void
ngx_http_tollgate_cleanup_policy(void *data)
{
    tollgate_policy_free(data);
}


/* a worker's cache (the master has none) goes before its verifier */

static void
ngx_http_tollgate_cleanup_cache(void *data)
{
    ngx_http_tollgate_cache_t  *tc = data;

    tollgate_cache_free(tc->cache);
    tc->cache = NULL;
}
