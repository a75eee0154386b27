
/*
 * ngx_http_tollgate_module: lets a request through only with a valid OAuth 2.0
 * bearer token (a JWS, RFC 9068), verified locally by libtollgate.
 *
 * This file holds the directives, which follow NGINX Plus's auth_jwt family
 * (README.md lists the differences), and the configuration they make. A value
 * that would weaken a check (an empty issuer, a leeway that would wrap) is
 * refused at its line, never adjusted.
 */


#include "ngx_http_tollgate_module.h"


static ngx_int_t ngx_http_tollgate_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_tollgate_init_module(ngx_cycle_t *cycle);
static void *ngx_http_tollgate_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_tollgate_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_tollgate_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_tollgate_auth_jwt(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_tollgate_auth_jwt_key_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_tollgate_auth_jwt_issuer(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_tollgate_auth_jwt_audience(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_tollgate_auth_jwt_leeway(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_tollgate_auth_jwt_type(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_tollgate_auth_jwt_require_scope(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_tollgate_auth_jwt_require(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_tollgate_auth_jwt_cache(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_tollgate_auth_jwt_key_request(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_tollgate_key_time(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

typedef tollgate_status (*ngx_http_tollgate_policy_set_pt)(
    tollgate_policy *policy, const uint8_t *value, size_t len);

static char *ngx_http_tollgate_policy_value(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *value, ngx_http_tollgate_policy_set_pt set);
static char *ngx_http_tollgate_push_value(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_array_t **values, ngx_http_tollgate_policy_set_pt set);
static ngx_uint_t ngx_http_tollgate_uses_own_variable(ngx_conf_t *cf,
    ngx_http_complex_value_t *cv);
static ngx_uint_t ngx_http_tollgate_starts(ngx_str_t *name, const char *prefix);
static ngx_uint_t ngx_http_tollgate_is_variable_name(ngx_str_t *name);


static ngx_command_t  ngx_http_tollgate_commands[] = {

    { ngx_string("auth_jwt"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_tollgate_auth_jwt,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tollgate_auth_jwt_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_key_request"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tollgate_auth_jwt_key_request,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_key_cache"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tollgate_key_time,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_tollgate_loc_conf_t, key_cache),
      NULL },

    { ngx_string("auth_jwt_key_refresh_interval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tollgate_key_time,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_tollgate_loc_conf_t, key_interval),
      NULL },

    { ngx_string("auth_jwt_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tollgate_auth_jwt_issuer,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_audience"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tollgate_auth_jwt_audience,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tollgate_auth_jwt_leeway,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_type"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tollgate_auth_jwt_type,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_require_scope"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tollgate_auth_jwt_require_scope,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_require"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_tollgate_auth_jwt_require,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_cache"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tollgate_auth_jwt_cache,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_tollgate_module_ctx = {
    ngx_http_tollgate_add_variables,       /* preconfiguration */
    ngx_http_tollgate_init,                /* postconfiguration */

    ngx_http_tollgate_create_main_conf,    /* create main configuration */
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
    ngx_http_tollgate_init_module,         /* init module */
    ngx_http_tollgate_init_worker,         /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_tollgate_exit_worker,         /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* the key requests' handler and filters go first: see their files */

static ngx_int_t
ngx_http_tollgate_init(ngx_conf_t *cf)
{
    if (ngx_http_tollgate_init_handlers(cf) != NGX_OK
        || ngx_http_tollgate_add_zone(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_tollgate_init_fetch(cf);
}


/* after the http block: the variables are indexed by now */

static ngx_int_t
ngx_http_tollgate_init_module(ngx_cycle_t *cycle)
{
    return ngx_http_tollgate_find_variables(cycle);
}


static void *
ngx_http_tollgate_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_tollgate_main_conf_t  *tmcf;

    tmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_tollgate_main_conf_t));
    if (tmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&tmcf->verifiers, cf->pool, 4,
                       sizeof(ngx_http_tollgate_verifier_t *))
        != NGX_OK
        || ngx_array_init(&tmcf->caches, cf->pool, 4,
                          sizeof(ngx_http_tollgate_cache_t *))
           != NGX_OK
        || ngx_array_init(&tmcf->variables, cf->pool, 4, sizeof(ngx_uint_t))
           != NGX_OK
        || ngx_array_init(&tmcf->sources, cf->pool, 4,
                          sizeof(ngx_http_tollgate_source_t *))
           != NGX_OK)
    {
        return NULL;
    }

    return tmcf;
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
     *     conf->sources = NULL;
     *     conf->verifier = NULL;
     *     conf->cache = NULL;
     */

    conf->enabled = NGX_CONF_UNSET;
    conf->jwks = NGX_CONF_UNSET_PTR;
    conf->key_requests = NGX_CONF_UNSET_PTR;
    conf->key_cache = NGX_CONF_UNSET;
    conf->key_interval = NGX_CONF_UNSET;
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

    if (conf->enabled == NGX_CONF_UNSET) {
        conf->enabled = prev->enabled;
        conf->realm = prev->realm;
        conf->token = prev->token;
    }

    ngx_conf_merge_value(conf->enabled, prev->enabled, 0);
    ngx_conf_merge_ptr_value(conf->jwks, prev->jwks, NULL);
    ngx_conf_merge_ptr_value(conf->key_requests, prev->key_requests, NULL);
    ngx_conf_merge_sec_value(conf->key_cache, prev->key_cache,
                             NGX_HTTP_TOLLGATE_KEY_CACHE);
    ngx_conf_merge_sec_value(conf->key_interval, prev->key_interval,
                             NGX_HTTP_TOLLGATE_KEY_INTERVAL);
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

    if (conf->jwks == NULL && conf->key_requests == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "auth_jwt \"%V\" needs auth_jwt_key_file or "
                           "auth_jwt_key_request", &conf->realm);
        return NGX_CONF_ERROR;
    }

    if (conf->key_requests) {

        /* an early refresh at most once per interval, and once per set */

        if (conf->key_interval > conf->key_cache) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "auth_jwt_key_refresh_interval (%Ts) exceeds "
                               "auth_jwt_key_cache (%Ts)",
                               conf->key_interval, conf->key_cache);
            return NGX_CONF_ERROR;
        }

        if (ngx_http_tollgate_use_sources(cf, conf) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }
    }

    /* locations with the same keys and policy share one verifier */

    return ngx_http_tollgate_use_verifier(cf, conf);
}


/* auth_jwt "realm" [token=$variable] | off */

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

    if (cf->args->nelts == 2) {
        return NGX_CONF_OK;
    }

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

    /* the module's own variables would ask for the token they come from */

    if (ngx_http_tollgate_uses_own_variable(cf, tlcf->token)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "token= cannot take the token from a $jwt_* "
                           "variable in \"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * auth_jwt_key_file path: read and checked now, so nginx -t reports a bad file
 */

static char *
ngx_http_tollgate_auth_jwt_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_tollgate_loc_conf_t *tlcf = conf;

    ngx_str_t  *value, *jwks;

    value = cf->args->elts;

    if (tlcf->jwks == NGX_CONF_UNSET_PTR) {
        tlcf->jwks = ngx_array_create(cf->pool, 1, sizeof(ngx_str_t));
        if (tlcf->jwks == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    jwks = ngx_array_push(tlcf->jwks);
    if (jwks == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_tollgate_read_key_file(cf, &value[1], jwks) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * auth_jwt_key_request uri: repeatable, merged with the key files. A URI of
 * this server, fetched with a subrequest (ngx_http_tollgate_fetch.c).
 */

static char *
ngx_http_tollgate_auth_jwt_key_request(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_tollgate_loc_conf_t *tlcf = conf;

    u_char     *p;
    ngx_str_t  *value, *uri;

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "auth_jwt_key_request \"%V\" is not a URI "
                           "starting with \"/\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == '#') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid character in auth_jwt_key_request "
                               "\"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (tlcf->key_requests == NGX_CONF_UNSET_PTR) {
        tlcf->key_requests = ngx_array_create(cf->pool, 1, sizeof(ngx_str_t));
        if (tlcf->key_requests == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    uri = ngx_array_push(tlcf->key_requests);
    if (uri == NULL) {
        return NGX_CONF_ERROR;
    }

    *uri = value[1];

    return NGX_CONF_OK;
}


/* auth_jwt_key_cache, auth_jwt_key_refresh_interval: time, at least 1s */

static char *
ngx_http_tollgate_key_time(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    time_t     *t;
    ngx_str_t  *value;

    t = (time_t *) ((char *) conf + cmd->offset);

    if (*t != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    *t = ngx_parse_time(&value[1], 1);

    if (*t == (time_t) NGX_ERROR || *t < 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" of \"%V\" is not a time of at least 1s",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* auth_jwt_issuer string */

static char *
ngx_http_tollgate_auth_jwt_issuer(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_tollgate_loc_conf_t *tlcf = conf;

    char       *rv;
    ngx_str_t  *value;

    if (tlcf->issuer.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    rv = ngx_http_tollgate_policy_value(cf, cmd, &value[1],
                                        tollgate_policy_set_issuer);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    tlcf->issuer = value[1];

    return NGX_CONF_OK;
}


/* auth_jwt_audience string: repeatable, any one is enough */

static char *
ngx_http_tollgate_auth_jwt_audience(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_tollgate_loc_conf_t *tlcf = conf;

    return ngx_http_tollgate_push_value(cf, cmd, &tlcf->audiences,
                                        tollgate_policy_add_audience);
}


/* auth_jwt_require_scope scope: repeatable, all are required */

static char *
ngx_http_tollgate_auth_jwt_require_scope(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_tollgate_loc_conf_t *tlcf = conf;

    return ngx_http_tollgate_push_value(cf, cmd, &tlcf->scopes,
                                        tollgate_policy_add_scope);
}


/*
 * auth_jwt_leeway time: at most TOLLGATE_MAX_LEEWAY seconds. Checked here, on
 * the parsed value: narrowing it to the 32 bits the policy takes would wrap
 * 4294967596s to 300s.
 */

static char *
ngx_http_tollgate_auth_jwt_leeway(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_tollgate_loc_conf_t *tlcf = conf;

    ngx_str_t  *value;

    if (tlcf->leeway != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    tlcf->leeway = ngx_parse_time(&value[1], 1);

    if (tlcf->leeway == (time_t) NGX_ERROR) {
        return "invalid value";
    }

    if (tlcf->leeway > TOLLGATE_MAX_LEEWAY) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" of \"%V\" exceeds the limit of %d seconds",
                           &cmd->name, &value[1], TOLLGATE_MAX_LEEWAY);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * auth_jwt_type typ: a required header "typ". NGINX Plus's "signed" (any JWS)
 * says so explicitly, overriding an inherited type; "encrypted" and "nested"
 * are not verified here.
 */

static char *
ngx_http_tollgate_auth_jwt_type(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_tollgate_loc_conf_t *tlcf = conf;

    char       *rv;
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

    rv = ngx_http_tollgate_policy_value(cf, cmd, &value[1],
                                        tollgate_policy_set_type);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    tlcf->type = value[1];

    return NGX_CONF_OK;
}


/*
 * auth_jwt_require $value ... [error=401|403]. A value that is one claim or
 * header parameter alone is also judged by its JSON type (see
 * ngx_http_tollgate_falsy).
 */

static char *
ngx_http_tollgate_auth_jwt_require(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_tollgate_loc_conf_t *tlcf = conf;

    size_t                              prefix;
    ngx_str_t                          *value, name;
    ngx_uint_t                          i, n;
    ngx_http_tollgate_require_t        *rule;
    ngx_http_compile_complex_value_t    ccv;
    ngx_http_tollgate_require_value_t  *rv;

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
                                    sizeof(ngx_http_tollgate_require_value_t));
    if (rule->values == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < n; i++) {
        rv = ngx_array_push(rule->values);
        if (rv == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(rv, sizeof(ngx_http_tollgate_require_value_t));

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = &rv->value;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        /* "$jwt_claim_<name>" or "${jwt_claim_<name>}", nothing else */

        name = value[i];

        if (name.len > 3 && name.data[0] == '$' && name.data[1] == '{'
            && name.data[name.len - 1] == '}')
        {
            name.data += 2;
            name.len -= 3;

        } else if (name.len > 1 && name.data[0] == '$') {
            name.data++;
            name.len--;

        } else {
            continue;
        }

        if (!ngx_http_tollgate_is_variable_name(&name)) {
            continue;
        }

        if (name.len > sizeof("jwt_claim_") - 1
            && ngx_strncasecmp(name.data, (u_char *) "jwt_claim_",
                               sizeof("jwt_claim_") - 1) == 0)
        {
            prefix = sizeof("jwt_claim_") - 1;
            rv->part = NGX_HTTP_TOLLGATE_CLAIMS;

        } else if (name.len > sizeof("jwt_header_") - 1
                   && ngx_strncasecmp(name.data, (u_char *) "jwt_header_",
                                      sizeof("jwt_header_") - 1) == 0)
        {
            prefix = sizeof("jwt_header_") - 1;
            rv->part = NGX_HTTP_TOLLGATE_HEADER;

        } else {
            continue;
        }

        rv->claim.len = name.len - prefix;
        rv->claim.data = ngx_pnalloc(cf->pool, rv->claim.len);
        if (rv->claim.data == NULL) {
            return NGX_CONF_ERROR;
        }

        /* nginx lowercases variable names, and looks claims up by them */
        ngx_strlow(rv->claim.data, name.data + prefix, rv->claim.len);
    }

    return NGX_CONF_OK;
}


/* auth_jwt_cache off | slots */

static char *
ngx_http_tollgate_auth_jwt_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
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


/* whether a compiled value reads one of this module's variables */

static ngx_uint_t
ngx_http_tollgate_uses_own_variable(ngx_conf_t *cf,
    ngx_http_complex_value_t *cv)
{
    ngx_uint_t                 *index;
    ngx_str_t                  *name;
    ngx_http_variable_t        *v;
    ngx_http_core_main_conf_t  *cmcf;

    if (cv->flushes == NULL) {
        return 0;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    v = cmcf->variables.elts;

    for (index = cv->flushes; *index != (ngx_uint_t) -1; index++) {
        name = &v[*index].name;

        if (ngx_http_tollgate_starts(name, "jwt_claim_")
            || ngx_http_tollgate_starts(name, "jwt_header_")
            || (name->len == sizeof("jwt_payload") - 1
                && ngx_http_tollgate_starts(name, "jwt_payload"))
            || (name->len == sizeof("jwt_status") - 1
                && ngx_http_tollgate_starts(name, "jwt_status")))
        {
            return 1;
        }
    }

    return 0;
}


/* variable names are lowercase */

static ngx_uint_t
ngx_http_tollgate_starts(ngx_str_t *name, const char *prefix)
{
    size_t  len;

    len = ngx_strlen(prefix);

    return name->len >= len && ngx_memcmp(name->data, prefix, len) == 0;
}


static ngx_uint_t
ngx_http_tollgate_is_variable_name(ngx_str_t *name)
{
    u_char  *p, *last, c;

    last = name->data + name->len;

    for (p = name->data; p < last; p++) {
        c = (u_char) (*p | 0x20);

        if (!((c >= 'a' && c <= 'z') || (*p >= '0' && *p <= '9')
              || *p == '_'))
        {
            return 0;
        }
    }

    return name->len != 0;
}


/* a repeatable policy value, checked and added to "values" */

static char *
ngx_http_tollgate_push_value(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_array_t **values, ngx_http_tollgate_policy_set_pt set)
{
    char       *rv;
    ngx_str_t  *value, *s;

    value = cf->args->elts;

    rv = ngx_http_tollgate_policy_value(cf, cmd, &value[1], set);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (*values == NGX_CONF_UNSET_PTR) {
        *values = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));
        if (*values == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    s = ngx_array_push(*values);
    if (s == NULL) {
        return NGX_CONF_ERROR;
    }

    *s = value[1];

    return NGX_CONF_OK;
}


/*
 * Checks a policy value where it is written, whether or not a location turns
 * auth_jwt on: empty never (it would switch a check off or match nothing), and
 * what the verifier would refuse (too long, not a scope-token) with its reason.
 */

static char *
ngx_http_tollgate_policy_value(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *value, ngx_http_tollgate_policy_set_pt set)
{
    tollgate_status   rc;
    tollgate_policy  *policy;

    if (value->len == 0) {
        return "must not be empty";
    }

    policy = NULL;
    rc = tollgate_policy_new(&policy);

    if (rc == TOLLGATE_STATUS_OK) {
        rc = set(policy, value->data, value->len);
    }

    tollgate_policy_free(policy);

    if (rc != TOLLGATE_STATUS_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" \"%V\": %s (%s)",
                           &cmd->name, value, tollgate_status_str(rc),
                           tollgate_status_name(rc));
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
