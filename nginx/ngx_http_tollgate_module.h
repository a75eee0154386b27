
/*
 * ngx_http_tollgate_module: what its files share. The module lets a request
 * through only with a valid OAuth 2.0 bearer token (a JWS, RFC 9068), verified
 * locally by libtollgate.
 *
 *   ngx_http_tollgate_module.c     directives, configuration, module tables
 *   ngx_http_tollgate_keys.c       key sources: key files, read with the config
 *   ngx_http_tollgate_zone.c       key requests: the documents in shared memory
 *   ngx_http_tollgate_fetch.c      key requests: the subrequest, waiting for it
 *   ngx_http_tollgate_live.c       key requests: each worker's verifiers
 *   ngx_http_tollgate_verifier.c   shared verifiers, per-worker token caches
 *   ngx_http_tollgate_handler.c    the request path: verdicts and checks
 *   ngx_http_tollgate_variables.c  $jwt_claim_*, $jwt_header_*, $jwt_payload,
 *                                  $jwt_status
 */


#ifndef _NGX_HTTP_TOLLGATE_MODULE_H_INCLUDED_
#define _NGX_HTTP_TOLLGATE_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <tollgate.h>


#define NGX_HTTP_TOLLGATE_CACHE_SLOTS  16

/* the largest key set document a key request may answer with */
#define NGX_HTTP_TOLLGATE_MAX_JWKS      (256 * 1024)

/* key request defaults: how long a set is used, the least time between tries */
#define NGX_HTTP_TOLLGATE_KEY_CACHE     600
#define NGX_HTTP_TOLLGATE_KEY_INTERVAL  30

/* how long a fetch may hold its zone claim (a dead worker's lapses then) */
#define NGX_HTTP_TOLLGATE_CLAIM         60


/*
 * A key request (auth_jwt_key_request) as one server resolves it: the same URI
 * in another server may name another location, so each server has its own.
 * Its timings are part of it. Made with the configuration and never changed on
 * the request path; "slot" is set when the shared zone is initialised.
 */

typedef struct {
    ngx_str_t                      uri;
    ngx_str_t                      args;
    ngx_str_t                      identity;    /* of its slot in the zone */
    time_t                         cache;       /* auth_jwt_key_cache */
    time_t                         interval;    /* ..._refresh_interval */
    ngx_uint_t                     index;       /* in the main conf's sources */
    ngx_uint_t                     slot;
} ngx_http_tollgate_source_t;


/*
 * One verifier per distinct key set and policy, shared by every location that
 * has them: the values it was built from are its identity. The arrays are of
 * ngx_str_t; "jwks" holds the key files' contents.
 */

typedef struct {
    ngx_array_t                   *jwks;
    ngx_str_t                      issuer;
    ngx_array_t                   *audiences;
    time_t                         leeway;
    ngx_str_t                      type;
    ngx_array_t                   *scopes;

    ngx_array_t                   *sources;     /* of source pointers */

    tollgate_verifier             *verifier;    /* NULL with sources */
    tollgate_policy               *policy;      /* with sources: for workers */
    ngx_str_t                      scope_hint;  /* space-separated scopes */
    ngx_uint_t                     index;       /* in the main conf's */
} ngx_http_tollgate_verifier_t;


/*
 * The token cache of one verifier and size. Made by each worker when it first
 * verifies with it: the master never holds one, so configuration costs no cache
 * memory.
 */

typedef struct {
    ngx_http_tollgate_verifier_t  *verifier;
    size_t                         slots;
    tollgate_cache                *cache;       /* NULL until first used */
    ngx_uint_t                     failed;      /* not made: verify uncached */
    ngx_uint_t                     index;       /* in the main conf's */
} ngx_http_tollgate_cache_t;


/* of pointers to the above, and of the indexes of the $jwt_* variables */

typedef struct {
    ngx_array_t                    verifiers;
    ngx_array_t                    caches;
    ngx_array_t                    variables;
    ngx_array_t                    sources;
    ngx_shm_zone_t                *zone;        /* with sources */
} ngx_http_tollgate_main_conf_t;


/* which part of a token a name is looked up in */
#define NGX_HTTP_TOLLGATE_CLAIMS  0
#define NGX_HTTP_TOLLGATE_HEADER  1


/*
 * One value of auth_jwt_require; "claim" is set when the value is one
 * $jwt_claim_<name> or $jwt_header_<name> alone.
 */

typedef struct {
    ngx_http_complex_value_t       value;
    ngx_str_t                      claim;
    ngx_uint_t                     part;
} ngx_http_tollgate_require_value_t;


typedef struct {
    ngx_array_t                   *values;      /* of require values */
    ngx_uint_t                     status;      /* 401 or 403 */
} ngx_http_tollgate_require_t;


typedef struct {
    ngx_flag_t                     enabled;
    ngx_str_t                      realm;
    ngx_http_complex_value_t      *token;       /* NULL: Authorization */

    ngx_array_t                   *jwks;        /* of ngx_str_t, as above */
    ngx_array_t                   *key_requests; /* of ngx_str_t, as written */
    time_t                         key_cache;
    time_t                         key_interval;
    ngx_array_t                   *sources;     /* key_requests, resolved */
    ngx_str_t                      issuer;
    ngx_array_t                   *audiences;
    time_t                         leeway;
    ngx_str_t                      type;        /* "" after "signed" */
    ngx_array_t                   *scopes;
    ngx_array_t                   *requires;
    ngx_int_t                      cache_slots; /* 0: no cache */

    ngx_http_tollgate_verifier_t  *verifier;    /* when enabled */
    ngx_http_tollgate_cache_t     *cache;       /* when enabled with a cache */
} ngx_http_tollgate_loc_conf_t;


/* what became of the token a request presented */
#define NGX_HTTP_TOLLGATE_VERIFIED   0
#define NGX_HTTP_TOLLGATE_MISSING    1   /* no bearer credentials */
#define NGX_HTTP_TOLLGATE_MALFORMED  2   /* Bearer without a b64token */
#define NGX_HTTP_TOLLGATE_REJECTED   3
#define NGX_HTTP_TOLLGATE_NO_KEYS    4   /* key requests have no keys yet */


typedef struct ngx_http_tollgate_waiter_s  ngx_http_tollgate_waiter_t;
typedef struct ngx_http_tollgate_fetch_s   ngx_http_tollgate_fetch_t;


/*
 * A worker's current verifier of a verifier with key requests, built from the
 * key files and its sources' documents: replaced whole when a document
 * changes, never edited; its caches go with it. "serial" numbers the builds in
 * the worker (0: none), so a verdict can tell which keys it was made with.
 */

typedef struct {
    tollgate_verifier             *verifier;    /* NULL: no keys yet */
    tollgate_cache               **caches;      /* by cache index, on use */
    ngx_uint_t                    *failed;      /* by cache index */
    uint64_t                      *built;       /* each source's generation */
    ngx_uint_t                     serial;
    ngx_uint_t                     keys;
} ngx_http_tollgate_live_t;


/* a key request in a worker: its document, and its fetch from here */

typedef struct {
    ngx_http_tollgate_source_t    *source;
    uint64_t                       generation;  /* of "jwks"; 0: none */
    ngx_str_t                      jwks;        /* a copy from the zone */
    ngx_uint_t                     lost;        /* its slot was given away */
    ngx_http_tollgate_fetch_t     *fetch;       /* in flight from here */
    ngx_queue_t                    waiters;
} ngx_http_tollgate_held_t;


/* why a fetch may start: a fetch starts only when the zone agrees */
#define NGX_HTTP_TOLLGATE_FETCH_FIRST    0   /* no document yet */
#define NGX_HTTP_TOLLGATE_FETCH_EXPIRED  1   /* auth_jwt_key_cache passed */
#define NGX_HTTP_TOLLGATE_FETCH_EARLY    2   /* a token's key is unknown */


/*
 * A request's verdict: made on first need (a $jwt_* variable in any phase, or
 * the check), kept for the rest of the request, and made again only for another
 * verifier, token source or token, or (until the check let the request in)
 * other keys. Internal redirects start over: nginx clears
 * the module contexts. "header" and "header_value" are the Authorization
 * header it was made from, as it was.
 */

typedef struct {
    ngx_http_tollgate_verifier_t  *verifier;
    ngx_http_complex_value_t      *source;
    ngx_str_t                      token;
    ngx_table_elt_t               *header;
    ngx_str_t                      header_value;

    ngx_uint_t                     serial;      /* of the keys, see live.c */
    ngx_http_tollgate_waiter_t    *waiter;      /* kept across verdicts */

    ngx_uint_t                     outcome;
    tollgate_status                status;      /* REJECTED, MALFORMED */
    const tollgate_claims         *claims;      /* VERIFIED */
    ngx_str_t                      payload;     /* $jwt_payload, rendered */

    unsigned                       require_failed:1;
    unsigned                       admitted:1;  /* the check let it in */
} ngx_http_tollgate_ctx_t;


extern ngx_module_t  ngx_http_tollgate_module;


/* shared between the module's files, not exported from the .so */

#if (__GNUC__ >= 4)
#pragma GCC visibility push(hidden)
#endif


/* ngx_http_tollgate_keys.c */
ngx_int_t ngx_http_tollgate_read_key_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *jwks);
tollgate_status ngx_http_tollgate_load_keys(ngx_array_t *jwks,
    tollgate_keyset **keys, ngx_int_t *file);
void ngx_http_tollgate_log_skipped(ngx_log_t *log, const char *what,
    ngx_str_t *name, ngx_str_t *jwks, tollgate_jwks_report *report);

/* ngx_http_tollgate_zone.c */
char *ngx_http_tollgate_use_sources(ngx_conf_t *cf,
    ngx_http_tollgate_loc_conf_t *tlcf);
ngx_int_t ngx_http_tollgate_add_zone(ngx_conf_t *cf);
void ngx_http_tollgate_attach_zone(ngx_http_tollgate_main_conf_t *tmcf);
ngx_int_t ngx_http_tollgate_zone_pull(ngx_http_tollgate_held_t *held,
    ngx_log_t *log);
ngx_int_t ngx_http_tollgate_zone_claim(ngx_http_tollgate_source_t *s,
    ngx_uint_t why);
ngx_int_t ngx_http_tollgate_zone_store(ngx_http_tollgate_source_t *s,
    u_char *jwks, size_t len);
void ngx_http_tollgate_zone_fail(ngx_http_tollgate_source_t *s);
void ngx_http_tollgate_zone_release(ngx_http_tollgate_source_t *s);
time_t ngx_http_tollgate_zone_retry_after(ngx_http_tollgate_source_t *s);

/* ngx_http_tollgate_fetch.c */
ngx_int_t ngx_http_tollgate_init_fetch(ngx_conf_t *cf);
ngx_uint_t ngx_http_tollgate_is_fetch(ngx_http_request_t *r);
time_t ngx_http_tollgate_retry_after(ngx_http_tollgate_verifier_t *v);

/* ngx_http_tollgate_live.c */
ngx_int_t ngx_http_tollgate_init_worker(ngx_cycle_t *cycle);
void ngx_http_tollgate_exit_worker(ngx_cycle_t *cycle);
ngx_http_tollgate_held_t *ngx_http_tollgate_held(
    ngx_http_tollgate_source_t *s);
ngx_http_tollgate_live_t *ngx_http_tollgate_live(ngx_log_t *log,
    ngx_http_tollgate_verifier_t *v);

/* ngx_http_tollgate_verifier.c */
char *ngx_http_tollgate_use_verifier(ngx_conf_t *cf,
    ngx_http_tollgate_loc_conf_t *tlcf);
tollgate_status ngx_http_tollgate_verify(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_http_tollgate_live_t *live,
    ngx_str_t *token, tollgate_scratch *scratch,
    const tollgate_claims **claims);

/* ngx_http_tollgate_handler.c */
ngx_int_t ngx_http_tollgate_init_handlers(ngx_conf_t *cf);
ngx_int_t ngx_http_tollgate_current(ngx_http_request_t *r,
    ngx_http_tollgate_ctx_t **ctx);
ngx_http_tollgate_ctx_t *ngx_http_tollgate_verdict(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf);
const char *ngx_http_tollgate_status_name(ngx_http_tollgate_ctx_t *ctx);

/* ngx_http_tollgate_variables.c */
ngx_int_t ngx_http_tollgate_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_tollgate_find_variables(ngx_cycle_t *cycle);
void ngx_http_tollgate_forget_variables(ngx_http_request_t *r);
ngx_int_t ngx_http_tollgate_value(ngx_http_request_t *r,
    ngx_http_tollgate_ctx_t *ctx, ngx_uint_t part, ngx_str_t *name,
    tollgate_json_kind *kind, ngx_str_t *text);


#if (__GNUC__ >= 4)
#pragma GCC visibility pop
#endif


#endif /* _NGX_HTTP_TOLLGATE_MODULE_H_INCLUDED_ */
