
/*
 * ngx_http_tollgate_module: lets a request through only with a valid OAuth 2.0 bearer token
 * (a JWS signed with EdDSA or HS256, RFC 9068), verified locally by libtollgate.
 *
 * The directives follow NGINX Plus's auth_jwt family; README.md lists the differences.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <tollgate.h>


#define NGX_HTTP_TOLLGATE_MAX_KEY_FILE  (1024 * 1024)
#define NGX_HTTP_TOLLGATE_CACHE_SLOTS   16


typedef struct {
    ngx_array_t                *values;      /* of ngx_http_complex_value_t */
    ngx_uint_t                  status;      /* 401 or 403 */
} ngx_http_tollgate_require_t;


typedef struct {
    ngx_flag_t                  enabled;
    ngx_str_t                   realm;
    ngx_http_complex_value_t   *token;       /* token=, or NULL for Authorization */
    ngx_array_t                *jwks;        /* of ngx_str_t: key file contents */
    ngx_str_t                   issuer;
    ngx_array_t                *audiences;   /* of ngx_str_t */
    time_t                      leeway;
    ngx_str_t                   type;
    ngx_array_t                *scopes;      /* of ngx_str_t */
    ngx_array_t                *requires;    /* of ngx_http_tollgate_require_t */
    ngx_str_t                   scope_hint;  /* the scopes, space-separated */
    ngx_int_t                   cache_slots; /* 0: no cache */
    tollgate_verifier          *verifier;
    tollgate_cache             *cache;       /* each worker writes its own copy */
} ngx_http_tollgate_loc_conf_t;


typedef struct {
    const tollgate_claims      *claims;
} ngx_http_tollgate_ctx_t;


static ngx_int_t ngx_http_tollgate_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_tollgate_bearer(ngx_http_request_t *r,
    ngx_str_t *token);
static ngx_uint_t ngx_http_tollgate_is_b64token(ngx_str_t *token);
static ngx_int_t ngx_http_tollgate_require(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf);
static ngx_int_t ngx_http_tollgate_challenge(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_int_t status, const char *error,
    const char *description);
static ngx_int_t ngx_http_tollgate_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_tollgate_header_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_tollgate_payload_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_tollgate_add_variables(ngx_conf_t *cf);
static void *ngx_http_tollgate_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_tollgate_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_tollgate_build(ngx_conf_t *cf,
    ngx_http_tollgate_loc_conf_t *tlcf);
static char *ngx_http_tollgate_add_cache(ngx_conf_t *cf,
    ngx_http_tollgate_loc_conf_t *tlcf);
static void ngx_http_tollgate_cleanup(void *data);
static void ngx_http_tollgate_cleanup_cache(void *data);
static tollgate_status ngx_http_tollgate_verify(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_str_t *token, void *scratch,
    const tollgate_claims **claims);
static ngx_int_t ngx_http_tollgate_init(ngx_conf_t *cf);
static char *ngx_http_tollgate_auth_jwt(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_tollgate_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_tollgate_type(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_tollgate_require_conf(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_tollgate_cache_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


static ngx_command_t  ngx_http_tollgate_commands[] = {

    { ngx_string("auth_jwt"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_tollgate_auth_jwt,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tollgate_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_tollgate_loc_conf_t, issuer),
      NULL },

    { ngx_string("auth_jwt_audience"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_array_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_tollgate_loc_conf_t, audiences),
      NULL },

    { ngx_string("auth_jwt_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_tollgate_loc_conf_t, leeway),
      NULL },

    { ngx_string("auth_jwt_type"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tollgate_type,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_require_scope"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_array_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_tollgate_loc_conf_t, scopes),
      NULL },

    { ngx_string("auth_jwt_require"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_tollgate_require_conf,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_cache"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tollgate_cache_conf,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_tollgate_module_ctx = {
    ngx_http_tollgate_add_variables,       /* preconfiguration */
    ngx_http_tollgate_init,                /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_tollgate_create_loc_conf,     /* create location configuration */
    ngx_http_tollgate_merge_loc_conf       /* merge location configuration */
};


ngx_module_t  ngx_http_tollgate_module = {
    NGX_MODULE_V1,
    &ngx_http_tollgate_module_ctx,         /* module context */
    ngx_http_tollgate_commands,            /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_http_tollgate_vars[] = {

    { ngx_string("jwt_claim_"), NULL, ngx_http_tollgate_claim_variable,
      0, NGX_HTTP_VAR_PREFIX, 0 },

    { ngx_string("jwt_header_"), NULL, ngx_http_tollgate_header_variable,
      0, NGX_HTTP_VAR_PREFIX, 0 },

    { ngx_string("jwt_payload"), NULL, ngx_http_tollgate_payload_variable,
      0, 0, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_http_tollgate_handler(ngx_http_request_t *r)
{
    void                          *scratch;
    ngx_int_t                      rc;
    ngx_str_t                      token;
    tollgate_status                status;
    const tollgate_claims         *claims;
    ngx_http_tollgate_ctx_t       *ctx;
    ngx_http_tollgate_loc_conf_t  *tlcf;

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_tollgate_module);

    if (!tlcf->enabled) {
        return NGX_DECLINED;
    }

    if (tlcf->token) {
        if (ngx_http_complex_value(r, tlcf->token, &token) != NGX_OK) {
            return NGX_ERROR;
        }

        if (token.len == 0) {
            return ngx_http_tollgate_challenge(r, tlcf, NGX_HTTP_UNAUTHORIZED,
                                               NULL, NULL);
        }

    } else {
        rc = ngx_http_tollgate_bearer(r, &token);

        if (rc == NGX_DECLINED) {
            /* no bearer credentials: RFC 6750 §3.1 says no error code */
            return ngx_http_tollgate_challenge(r, tlcf, NGX_HTTP_UNAUTHORIZED,
                                               NULL, NULL);
        }

        if (rc != NGX_OK) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "tollgate: malformed Authorization header");
            return ngx_http_tollgate_challenge(r, tlcf, NGX_HTTP_BAD_REQUEST,
                                   "invalid_request",
                                   "malformed Authorization: Bearer header");
        }
    }

    /*
     * The claims live in the scratch, which must outlive this phase:
     * variables are read when the request is proxied and logged.
     */

    scratch = ngx_pmemalign(r->pool, TOLLGATE_SCRATCH_SIZE,
                            TOLLGATE_SCRATCH_ALIGN);
    if (scratch == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    status = ngx_http_tollgate_verify(r, tlcf, &token, scratch, &claims);

    if (status != TOLLGATE_STATUS_OK) {

        if (tlcf->token == NULL && !ngx_http_tollgate_is_b64token(&token)) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "tollgate: malformed Authorization header");
            return ngx_http_tollgate_challenge(r, tlcf, NGX_HTTP_BAD_REQUEST,
                                   "invalid_request",
                                   "malformed Authorization: Bearer header");
        }

        /* the reason only: the token never reaches the log */

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "tollgate: token rejected: %s",
                      tollgate_status_name(status));

        switch (tollgate_status_http_status(status)) {

        case NGX_HTTP_UNAUTHORIZED:
            return ngx_http_tollgate_challenge(r, tlcf, NGX_HTTP_UNAUTHORIZED,
                                               "invalid_token",
                                               tollgate_status_str(status));

        case NGX_HTTP_FORBIDDEN:
            return ngx_http_tollgate_challenge(r, tlcf, NGX_HTTP_FORBIDDEN,
                                               "insufficient_scope",
                                               tollgate_status_str(status));

        default:
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "tollgate: verification failed: %s",
                          tollgate_status_str(status));
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ctx = ngx_palloc(r->pool, sizeof(ngx_http_tollgate_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->claims = claims;
    ngx_http_set_ctx(r, ctx, ngx_http_tollgate_module);

    return ngx_http_tollgate_require(r, tlcf);
}


/*
 * A client sends the same token until it expires: the cache answers a repeated
 * token after checking its time claims again.
 */

static tollgate_status
ngx_http_tollgate_verify(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_str_t *token, void *scratch,
    const tollgate_claims **claims)
{
    if (tlcf->cache) {
        return tollgate_verify_cached(tlcf->cache, token->data, token->len,
                                      (int64_t) ngx_time(), scratch,
                                      TOLLGATE_SCRATCH_SIZE, claims);
    }

    return tollgate_verify(tlcf->verifier, token->data, token->len,
                           (int64_t) ngx_time(), scratch,
                           TOLLGATE_SCRATCH_SIZE, claims);
}


/*
 * Finds the token in "Authorization: Bearer <b64token>" (RFC 6750 §2.1).
 * NGX_DECLINED: no bearer credentials; NGX_ERROR: malformed.
 */

static ngx_int_t
ngx_http_tollgate_bearer(ngx_http_request_t *r, ngx_str_t *token)
{
    u_char           *p, *last;
    ngx_table_elt_t  *h;

    h = r->headers_in.authorization;

    if (h == NULL) {
        return NGX_DECLINED;
    }

    p = h->value.data;
    last = p + h->value.len;

    if (h->value.len < sizeof("Bearer") - 1
        || ngx_strncasecmp(p, (u_char *) "Bearer", sizeof("Bearer") - 1) != 0
        || (h->value.len > sizeof("Bearer") - 1
            && p[sizeof("Bearer") - 1] != ' '))
    {
        return NGX_DECLINED;
    }

    p += sizeof("Bearer") - 1;

    while (p < last && *p == ' ') {
        p++;
    }

    while (last > p && last[-1] == ' ') {
        last--;
    }

    token->data = p;
    token->len = last - p;

    return token->len ? NGX_OK : NGX_ERROR;
}


/*
 * Whether a rejected token is not even a b64token (RFC 6750 §2.1), which makes the
 * request malformed rather than the token invalid. Checked only after a rejection, so
 * a good token is scanned once, by the verifier.
 */

static ngx_uint_t
ngx_http_tollgate_is_b64token(ngx_str_t *token)
{
    u_char  *p, *last;

    p = token->data;
    last = p + token->len;

    while (p < last
           && ((*p >= '0' && *p <= '9')
               || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')
               || *p == '-' || *p == '.' || *p == '_' || *p == '~'
               || *p == '+' || *p == '/'))
    {
        p++;
    }

    while (p < last && *p == '=') {
        p++;
    }

    return p == last;
}


/* auth_jwt_require: every value non-empty and not "0" */

static ngx_int_t
ngx_http_tollgate_require(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf)
{
    ngx_str_t                     value;
    ngx_uint_t                    i, j;
    ngx_http_complex_value_t     *cv;
    ngx_http_tollgate_require_t  *rule;

    if (tlcf->requires == NULL) {
        return NGX_OK;
    }

    rule = tlcf->requires->elts;

    for (i = 0; i < tlcf->requires->nelts; i++) {
        cv = rule[i].values->elts;

        for (j = 0; j < rule[i].values->nelts; j++) {
            if (ngx_http_complex_value(r, &cv[j], &value) != NGX_OK) {
                return NGX_ERROR;
            }

            if (value.len == 0 || (value.len == 1 && value.data[0] == '0')) {
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "tollgate: auth_jwt_require not satisfied");

                if (rule[i].status == NGX_HTTP_FORBIDDEN) {
                    return NGX_HTTP_FORBIDDEN;
                }

                return ngx_http_tollgate_challenge(r, tlcf,
                                       NGX_HTTP_UNAUTHORIZED, "invalid_token",
                                       "a required claim check failed");
            }
        }
    }

    return NGX_OK;
}


/* WWW-Authenticate: Bearer realm="...", error="...", ... (RFC 6750 §3) */

static ngx_int_t
ngx_http_tollgate_challenge(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_int_t status, const char *error,
    const char *description)
{
    size_t            len;
    u_char           *p;
    ngx_uint_t        scope;
    ngx_table_elt_t  *h;

    scope = (status == NGX_HTTP_FORBIDDEN && tlcf->scope_hint.len);

    len = sizeof("Bearer realm=\"\"") - 1 + tlcf->realm.len;

    if (error) {
        len += sizeof(", error=\"\", error_description=\"\"") - 1
               + ngx_strlen(error) + ngx_strlen(description);
    }

    if (scope) {
        len += sizeof(", scope=\"\"") - 1 + tlcf->scope_hint.len;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "WWW-Authenticate");
    h->value.data = p;

    p = ngx_sprintf(p, "Bearer realm=\"%V\"", &tlcf->realm);

    if (error) {
        p = ngx_sprintf(p, ", error=\"%s\", error_description=\"%s\"",
                        error, description);
    }

    if (scope) {
        p = ngx_sprintf(p, ", scope=\"%V\"", &tlcf->scope_hint);
    }

    h->value.len = p - h->value.data;

#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    r->headers_out.www_authenticate = h;

    return status;
}


static const tollgate_claims *
ngx_http_tollgate_claims(ngx_http_request_t *r)
{
    ngx_http_tollgate_ctx_t  *ctx;

    /* subrequests skip the access phase: theirs are the main request's */

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_tollgate_module);

    return ctx ? ctx->claims : NULL;
}


typedef tollgate_status (*ngx_http_tollgate_text_pt)(
    const tollgate_claims *claims, const uint8_t *name, size_t name_len,
    uint8_t *buf, size_t buf_len, size_t *written);


typedef tollgate_status (*ngx_http_tollgate_get_pt)(
    const tollgate_claims *claims, const uint8_t *name, size_t name_len,
    tollgate_value *out);


static ngx_int_t
ngx_http_tollgate_text_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_str_t *var, size_t prefix,
    ngx_http_tollgate_get_pt get, ngx_http_tollgate_text_pt text)
{
    size_t                  len;
    u_char                 *p, *name;
    tollgate_value          value;
    const tollgate_claims  *claims;

    claims = ngx_http_tollgate_claims(r);
    name = var->data + prefix;
    len = var->len - prefix;

    if (claims == NULL || get(claims, name, len, &value) != TOLLGATE_STATUS_OK) {
        /* not cached: the token may be verified later in this request */
        v->not_found = 1;
        v->no_cacheable = 1;
        return NGX_OK;
    }

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    if (value.kind == TOLLGATE_JSON_KIND_STRING) {
        /* the scratch lives as long as the request: no copy */
        v->data = (u_char *) value.text;
        v->len = value.text_len;
        return NGX_OK;
    }

    if (value.kind != TOLLGATE_JSON_KIND_ARRAY) {
        v->data = (u_char *) value.raw;
        v->len = value.raw_len;
        return NGX_OK;
    }

    /* arrays: elements joined with commas */

    if (text(claims, name, len, NULL, 0, &len) != TOLLGATE_STATUS_OK) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, len ? len : 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (text(claims, var->data + prefix, var->len - prefix, p, len, &len)
        != TOLLGATE_STATUS_OK)
    {
        return NGX_ERROR;
    }

    v->data = p;
    v->len = len;

    return NGX_OK;
}


/* $jwt_claim_<name>: a claim as text, arrays joined with commas */

static ngx_int_t
ngx_http_tollgate_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    return ngx_http_tollgate_text_variable(r, v, (ngx_str_t *) data,
                                           sizeof("jwt_claim_") - 1,
                                           tollgate_claims_get,
                                           tollgate_claims_text);
}


/* $jwt_header_<name>: a header parameter as text */

static ngx_int_t
ngx_http_tollgate_header_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    return ngx_http_tollgate_text_variable(r, v, (ngx_str_t *) data,
                                           sizeof("jwt_header_") - 1,
                                           tollgate_claims_header,
                                           tollgate_claims_header_text);
}


/* $jwt_payload: the verified claims as signed (JSON) */

static ngx_int_t
ngx_http_tollgate_payload_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    size_t                  len;
    const uint8_t          *p;
    const tollgate_claims  *claims;

    claims = ngx_http_tollgate_claims(r);

    if (claims == NULL
        || tollgate_claims_payload_json(claims, &p, &len)
           != TOLLGATE_STATUS_OK)
    {
        v->not_found = 1;
        v->no_cacheable = 1;
        return NGX_OK;
    }

    v->data = (u_char *) p;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_tollgate_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_tollgate_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static void *
ngx_http_tollgate_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_tollgate_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_tollgate_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->realm = { 0, NULL };
     *     conf->token = NULL;
     *     conf->issuer = { 0, NULL };
     *     conf->type = { 0, NULL };
     *     conf->scope_hint = { 0, NULL };
     *     conf->verifier = NULL;
     */

    conf->enabled = NGX_CONF_UNSET;
    conf->jwks = NGX_CONF_UNSET_PTR;
    conf->audiences = NGX_CONF_UNSET_PTR;
    conf->leeway = NGX_CONF_UNSET;
    conf->scopes = NGX_CONF_UNSET_PTR;
    conf->requires = NGX_CONF_UNSET_PTR;
    conf->cache_slots = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_tollgate_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_tollgate_loc_conf_t *prev = parent;
    ngx_http_tollgate_loc_conf_t *conf = child;

    ngx_uint_t  own;

    /* settings of this level: a verifier of its own, or the parent's */

    own = conf->jwks != NGX_CONF_UNSET_PTR
          || conf->issuer.data != NULL
          || conf->audiences != NGX_CONF_UNSET_PTR
          || conf->leeway != NGX_CONF_UNSET
          || conf->type.data != NULL
          || conf->scopes != NGX_CONF_UNSET_PTR;

    if (conf->enabled == NGX_CONF_UNSET) {
        conf->enabled = prev->enabled;
        conf->realm = prev->realm;
        conf->token = prev->token;
    }

    ngx_conf_merge_value(conf->enabled, prev->enabled, 0);
    ngx_conf_merge_ptr_value(conf->jwks, prev->jwks, NULL);
    ngx_conf_merge_str_value(conf->issuer, prev->issuer, "");
    ngx_conf_merge_ptr_value(conf->audiences, prev->audiences, NULL);
    ngx_conf_merge_sec_value(conf->leeway, prev->leeway, 0);
    ngx_conf_merge_str_value(conf->type, prev->type, "");
    ngx_conf_merge_ptr_value(conf->scopes, prev->scopes, NULL);
    ngx_conf_merge_ptr_value(conf->requires, prev->requires, NULL);
    ngx_conf_merge_value(conf->cache_slots, prev->cache_slots,
                         NGX_HTTP_TOLLGATE_CACHE_SLOTS);

    if (!conf->enabled) {
        return NGX_CONF_OK;
    }

    if (conf->jwks == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "auth_jwt \"%V\" needs auth_jwt_key_file",
                           &conf->realm);
        return NGX_CONF_ERROR;
    }

    if (!own && prev->verifier) {
        conf->verifier = prev->verifier;
        conf->scope_hint = prev->scope_hint;

        if (prev->cache && conf->cache_slots == prev->cache_slots) {
            conf->cache = prev->cache;
            return NGX_CONF_OK;
        }

        return ngx_http_tollgate_add_cache(cf, conf);
    }

    return ngx_http_tollgate_build(cf, conf);
}


#define ngx_http_tollgate_str(s)  (const uint8_t *) (s)->data, (s)->len


/* one verifier per distinct configuration, in the configuration's pool */

static char *
ngx_http_tollgate_build(ngx_conf_t *cf, ngx_http_tollgate_loc_conf_t *tlcf)
{
    u_char               *p;
    void                 *mem;
    size_t                len;
    ngx_str_t            *s;
    ngx_uint_t            i;
    const char           *what;
    tollgate_status       rc;
    tollgate_policy      *policy;
    tollgate_keyset      *keys;
    ngx_pool_cleanup_t   *cln;

    keys = NULL;
    policy = NULL;
    what = "auth_jwt_key_file";

    rc = tollgate_keyset_new(&keys);

    s = tlcf->jwks->elts;
    for (i = 0; rc == TOLLGATE_STATUS_OK && i < tlcf->jwks->nelts; i++) {
        rc = tollgate_keyset_add_jwks(keys, ngx_http_tollgate_str(&s[i]), NULL);
    }

    if (rc == TOLLGATE_STATUS_OK) {
        what = "auth_jwt";
        rc = tollgate_policy_new(&policy);
    }

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
        for (i = 0; rc == TOLLGATE_STATUS_OK && i < tlcf->audiences->nelts; i++) {
            what = "auth_jwt_audience";
            rc = tollgate_policy_add_audience(policy,
                                              ngx_http_tollgate_str(&s[i]));
        }
    }

    len = 0;

    if (tlcf->scopes) {
        s = tlcf->scopes->elts;
        for (i = 0; rc == TOLLGATE_STATUS_OK && i < tlcf->scopes->nelts; i++) {
            what = "auth_jwt_require_scope";
            rc = tollgate_policy_add_scope(policy,
                                           ngx_http_tollgate_str(&s[i]));
            len += s[i].len + 1;
        }
    }

    mem = NULL;

    if (rc == TOLLGATE_STATUS_OK) {
        what = "auth_jwt";
        mem = ngx_pmemalign(cf->pool, TOLLGATE_VERIFIER_SIZE,
                            TOLLGATE_VERIFIER_ALIGN);
        rc = (mem == NULL) ? TOLLGATE_STATUS_OUT_OF_MEMORY
                           : tollgate_verifier_init(mem, TOLLGATE_VERIFIER_SIZE,
                                                    keys, policy,
                                                    &tlcf->verifier);
    }

    /* the verifier holds copies */
    tollgate_policy_free(policy);
    tollgate_keyset_free(keys);

    if (rc != TOLLGATE_STATUS_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s: %s (%s)", what,
                           tollgate_status_str(rc), tollgate_status_name(rc));
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        tollgate_verifier_free(tlcf->verifier);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_tollgate_cleanup;
    cln->data = tlcf->verifier;

    if (len) {
        p = ngx_pnalloc(cf->pool, len);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        tlcf->scope_hint.data = p;
        s = tlcf->scopes->elts;

        for (i = 0; i < tlcf->scopes->nelts; i++) {
            if (i) {
                *p++ = ' ';
            }
            p = ngx_cpymem(p, s[i].data, s[i].len);
        }

        tlcf->scope_hint.len = p - tlcf->scope_hint.data;
    }

    return ngx_http_tollgate_add_cache(cf, tlcf);
}


/*
 * The cache is made once, with the configuration, not on the request path:
 * workers inherit it and each writes its own copy of its pages.
 */

static char *
ngx_http_tollgate_add_cache(ngx_conf_t *cf, ngx_http_tollgate_loc_conf_t *tlcf)
{
    tollgate_status      rc;
    ngx_pool_cleanup_t  *cln;

    if (tlcf->cache_slots == 0) {
        return NGX_CONF_OK;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    rc = tollgate_cache_new(tlcf->verifier, (size_t) tlcf->cache_slots,
                            &tlcf->cache);
    if (rc != TOLLGATE_STATUS_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "auth_jwt_cache: %s",
                           tollgate_status_str(rc));
        return NGX_CONF_ERROR;
    }

    /* registered after the verifier's cleanup, so it runs first */
    cln->handler = ngx_http_tollgate_cleanup_cache;
    cln->data = tlcf->cache;

    return NGX_CONF_OK;
}


/* on reload the old cycle's pool goes, and the keys are wiped with it */

static void
ngx_http_tollgate_cleanup(void *data)
{
    tollgate_verifier_free(data);
}


/* a cache refers to its verifier: freed before it */

static void
ngx_http_tollgate_cleanup_cache(void *data)
{
    tollgate_cache_free(data);
}


static ngx_int_t
ngx_http_tollgate_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_tollgate_handler;

    return NGX_OK;
}


static char *
ngx_http_tollgate_auth_jwt(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_tollgate_loc_conf_t *tlcf = conf;

    u_char                            *p;
    ngx_str_t                         *value, source;
    ngx_http_compile_complex_value_t   ccv;

    if (tlcf->enabled != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts > 2) {
            return "takes no token= with off";
        }

        tlcf->enabled = 0;
        return NGX_CONF_OK;
    }

    /* the realm goes into a quoted-string */

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (*p == '"' || *p == '\\' || *p < 0x20 || *p == 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid character in realm \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    tlcf->enabled = 1;
    tlcf->realm = value[1];

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "token=", 6) != 0 || value[2].len == 6) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        source.data = value[2].data + 6;
        source.len = value[2].len - 6;

        tlcf->token = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
        if (tlcf->token == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &source;
        ccv.complex_value = tlcf->token;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* reads and checks a JWKS when the configuration is read: nginx -t reports it */

static char *
ngx_http_tollgate_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_tollgate_loc_conf_t *tlcf = conf;

    ssize_t                n;
    ngx_fd_t               fd;
    ngx_str_t             *value, *jwks, path;
    ngx_file_info_t        fi;
    tollgate_status        rc;
    tollgate_keyset       *keys;
    tollgate_jwks_report   report;

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", path.data);
        return NGX_CONF_ERROR;
    }

    if (tlcf->jwks == NGX_CONF_UNSET_PTR) {
        tlcf->jwks = ngx_array_create(cf->pool, 1, sizeof(ngx_str_t));
        if (tlcf->jwks == NULL) {
            goto failed;
        }
    }

    jwks = ngx_array_push(tlcf->jwks);
    if (jwks == NULL) {
        goto failed;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", path.data);
        goto failed;
    }

    if (ngx_file_size(&fi) > NGX_HTTP_TOLLGATE_MAX_KEY_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "key file \"%s\" is too large", path.data);
        goto failed;
    }

    jwks->len = (size_t) ngx_file_size(&fi);
    jwks->data = ngx_pnalloc(cf->pool, jwks->len + 1);
    if (jwks->data == NULL) {
        goto failed;
    }

    n = ngx_read_fd(fd, jwks->data, jwks->len);
    if (n == -1 || (size_t) n != jwks->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%s\" failed", path.data);
        goto failed;
    }

    ngx_close_file(fd);

    /* a bad file fails here, with the reason and the key it concerns */

    keys = NULL;
    report.error_key_index = -1;
    report.private_members_ignored = 0;
    rc = tollgate_keyset_new(&keys);

    if (rc == TOLLGATE_STATUS_OK) {
        rc = tollgate_keyset_add_jwks(keys, (const uint8_t *) jwks->data,
                                      jwks->len, &report);
    }

    tollgate_keyset_free(keys);

    if (rc != TOLLGATE_STATUS_OK) {
        if (report.error_key_index >= 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "key file \"%s\": keys[%i]: %s (%s)",
                               path.data, (ngx_int_t) report.error_key_index,
                               tollgate_status_str(rc),
                               tollgate_status_name(rc));
        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "key file \"%s\": %s (%s)", path.data,
                               tollgate_status_str(rc),
                               tollgate_status_name(rc));
        }

        return NGX_CONF_ERROR;
    }

    if (report.private_members_ignored) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "key file \"%s\" holds private key material "
                           "(\"d\"); only public keys are used", path.data);
    }

    return NGX_CONF_OK;

failed:

    ngx_close_file(fd);
    return NGX_CONF_ERROR;
}


/* auth_jwt_type: a required header "typ"; NGINX Plus's "signed" is a no-op */

static char *
ngx_http_tollgate_type(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_tollgate_loc_conf_t *tlcf = conf;

    ngx_str_t  *value;

    if (tlcf->type.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "signed") == 0) {
        ngx_str_set(&tlcf->type, "");
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[1].data, "encrypted") == 0
        || ngx_strcmp(value[1].data, "nested") == 0)
    {
        return "is not supported: only signed tokens (JWS) are verified";
    }

    tlcf->type = value[1];

    return NGX_CONF_OK;
}


/* auth_jwt_require $value ... [error=401|403] */

static char *
ngx_http_tollgate_require_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_tollgate_loc_conf_t *tlcf = conf;

    ngx_str_t                         *value;
    ngx_uint_t                         i, n;
    ngx_http_complex_value_t          *cv;
    ngx_http_tollgate_require_t       *rule;
    ngx_http_compile_complex_value_t   ccv;

    if (tlcf->requires == NGX_CONF_UNSET_PTR) {
        tlcf->requires = ngx_array_create(cf->pool, 1,
                                          sizeof(ngx_http_tollgate_require_t));
        if (tlcf->requires == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    rule = ngx_array_push(tlcf->requires);
    if (rule == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;
    n = cf->args->nelts;
    rule->status = NGX_HTTP_UNAUTHORIZED;

    if (ngx_strncmp(value[n - 1].data, "error=", 6) == 0) {
        if (ngx_strcmp(value[n - 1].data, "error=401") == 0) {
            rule->status = NGX_HTTP_UNAUTHORIZED;

        } else if (ngx_strcmp(value[n - 1].data, "error=403") == 0) {
            rule->status = NGX_HTTP_FORBIDDEN;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[n - 1]);
            return NGX_CONF_ERROR;
        }

        n--;
    }

    if (n < 2) {
        return "needs at least one value";
    }

    rule->values = ngx_array_create(cf->pool, n - 1,
                                    sizeof(ngx_http_complex_value_t));
    if (rule->values == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < n; i++) {
        cv = ngx_array_push(rule->values);
        if (cv == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = cv;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* auth_jwt_cache off | slots */

static char *
ngx_http_tollgate_cache_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_tollgate_loc_conf_t *tlcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (tlcf->cache_slots != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        tlcf->cache_slots = 0;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);

    if (n == NGX_ERROR || n < 1 || n > TOLLGATE_CACHE_MAX_SLOTS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid cache size \"%V\" (off, or 1 to %d slots)",
                           &value[1], TOLLGATE_CACHE_MAX_SLOTS);
        return NGX_CONF_ERROR;
    }

    tlcf->cache_slots = n;

    return NGX_CONF_OK;
}
