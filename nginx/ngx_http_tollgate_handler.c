
/*
 * The request path. A request's verdict on its token is made once, on first
 * need — a $jwt_* variable in any phase (limit_req keys, if, set, map) or the
 * check itself — and reused.
 *
 * The check runs in the access phase for main requests, in the style of nginx's
 * auth_request module, so `satisfy any` combines it with allow/deny and
 * auth_basic. nginx skips the access phase for subrequests (auth_request, SSI
 * includes, mirrors), so they are checked in the rewrite phase instead, before
 * `return` can answer them: a subrequest never gets into a location with
 * auth_jwt without a valid token.
 */


#include "ngx_http_tollgate_module.h"


/* scratches kept for reuse by each worker, beyond those in use (16 KiB each) */
#define NGX_HTTP_TOLLGATE_FREE_SCRATCHES  64


static ngx_int_t ngx_http_tollgate_access_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_tollgate_subrequest_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_tollgate_check(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_uint_t deny_only);
static ngx_http_tollgate_ctx_t *ngx_http_tollgate_ancestor_verdict(
    ngx_http_request_t *r, ngx_http_tollgate_loc_conf_t *tlcf, ngx_str_t *token,
    ngx_uint_t serial);
static ngx_int_t ngx_http_tollgate_token(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_str_t *token);
static ngx_int_t ngx_http_tollgate_bearer(ngx_http_request_t *r,
    ngx_str_t *token);
static ngx_uint_t ngx_http_tollgate_is_b64token(ngx_str_t *token);
static ngx_int_t ngx_http_tollgate_require(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_http_tollgate_ctx_t *ctx);
static ngx_uint_t ngx_http_tollgate_falsy(ngx_http_request_t *r,
    ngx_http_tollgate_ctx_t *ctx, ngx_http_tollgate_require_value_t *rv);
static ngx_uint_t ngx_http_tollgate_empty_array(ngx_http_tollgate_ctx_t *ctx,
    ngx_http_tollgate_require_value_t *rv);
static ngx_int_t ngx_http_tollgate_challenge(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_int_t status, const char *error,
    const char *description);
static ngx_int_t ngx_http_tollgate_unavailable(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf);
static tollgate_scratch *ngx_http_tollgate_scratch(ngx_http_request_t *r);
static void ngx_http_tollgate_release_scratch(void *data);


static tollgate_scratch  *ngx_http_tollgate_free_scratches
                               [NGX_HTTP_TOLLGATE_FREE_SCRATCHES];
static ngx_uint_t         ngx_http_tollgate_nfree_scratches;


ngx_int_t
ngx_http_tollgate_init_handlers(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_tollgate_access_handler;

    /*
     * Pushed after the rewrite module's handler, so it runs before it: the last
     * handler added to a phase runs first.
     */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_tollgate_subrequest_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_tollgate_access_handler(ngx_http_request_t *r)
{
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_tollgate_loc_conf_t  *tlcf;

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_tollgate_module);

    if (!tlcf->enabled) {
        return NGX_DECLINED;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "tollgate access handler");

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    return ngx_http_tollgate_check(r, tlcf,
                                   clcf->satisfy == NGX_HTTP_SATISFY_ANY);
}


/* subrequests only: the access phase checked the main request */

static ngx_int_t
ngx_http_tollgate_subrequest_handler(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_tollgate_loc_conf_t  *tlcf;

    if (r == r->main) {
        return NGX_DECLINED;
    }

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_tollgate_module);

    /* a key request's own fetch is made by the module, not a client */

    if (!tlcf->enabled || ngx_http_tollgate_is_fetch(r)) {
        return NGX_DECLINED;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "tollgate subrequest handler: \"%V\"", &r->uri);

    /*
     * Only 401 and 403 mean "denied" to auth_request; a 400 would become its
     * 500, and an SSI include shows none of them.
     */

    rc = ngx_http_tollgate_check(r, tlcf, 1);

    /*
     * in the rewrite phase NGX_OK would end the request: go on to the next
     * handler
     */

    return (rc == NGX_OK) ? NGX_DECLINED : rc;
}


/*
 * The answer of the module for a request: NGX_OK, or the status to finalize it
 * with (and a WWW-Authenticate challenge, RFC 6750 §3). With "deny_only", a
 * malformed Authorization header is a 401 like any other denial rather than a
 * 400.
 */

static ngx_int_t
ngx_http_tollgate_check(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_uint_t deny_only)
{
    ngx_int_t                 rc;
    ngx_http_tollgate_ctx_t  *ctx;

    ctx = ngx_http_tollgate_verdict(r, tlcf);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    switch (ctx->outcome) {

    case NGX_HTTP_TOLLGATE_VERIFIED:
        rc = ngx_http_tollgate_require(r, tlcf, ctx);
        ctx->admitted = (rc == NGX_OK);
        return rc;

    case NGX_HTTP_TOLLGATE_MISSING:
        /* no bearer credentials: RFC 6750 §3.1 says no error code */
        return ngx_http_tollgate_challenge(r, tlcf, NGX_HTTP_UNAUTHORIZED,
                                           NULL, NULL);

    case NGX_HTTP_TOLLGATE_MALFORMED:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "tollgate: malformed Authorization header");

        /*
         * With "satisfy any" this is a "no", like any other: another access
         * module may still let the request in. Alone, it is the 400 of RFC 6750
         * §3.1.
         */

        return ngx_http_tollgate_challenge(r, tlcf,
                                   deny_only ? NGX_HTTP_UNAUTHORIZED
                                             : NGX_HTTP_BAD_REQUEST,
                                   "invalid_request",
                                   "malformed Authorization: Bearer header");

    case NGX_HTTP_TOLLGATE_NO_KEYS:
        return ngx_http_tollgate_unavailable(r, tlcf);

    default: /* NGX_HTTP_TOLLGATE_REJECTED */
        break;
    }

    /* the reason only: the token never reaches the log */

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "tollgate: token rejected: %s",
                  tollgate_status_name(ctx->status));

    switch (tollgate_status_http_status(ctx->status)) {

    case NGX_HTTP_UNAUTHORIZED:
        return ngx_http_tollgate_challenge(r, tlcf, NGX_HTTP_UNAUTHORIZED,
                                           "invalid_token",
                                           tollgate_status_str(ctx->status));

    case NGX_HTTP_FORBIDDEN:
        return ngx_http_tollgate_challenge(r, tlcf, NGX_HTTP_FORBIDDEN,
                                           "insufficient_scope",
                                           tollgate_status_str(ctx->status));

    default:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "tollgate: verification failed: %s",
                      tollgate_status_str(ctx->status));
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


/*
 * The verdict of the request under the current location's configuration:
 * variables read it through here too. NULL on an allocation failure.
 */

ngx_http_tollgate_ctx_t *
ngx_http_tollgate_verdict(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf)
{
    ngx_int_t                    rc;
    ngx_str_t                    token;
    ngx_uint_t                   same, serial;
    tollgate_status              status;
    ngx_table_elt_t             *h;
    tollgate_scratch            *scratch;
    const tollgate_claims       *claims;
    ngx_http_tollgate_ctx_t     *ctx, *made, verdict;
    ngx_http_tollgate_live_t    *live;

    h = r->headers_in.authorization;
    ctx = ngx_http_get_module_ctx(r, ngx_http_tollgate_module);

    /*
     * With key requests, a verdict holds for the keys it was made with, until
     * it let the request in: then the claims the backend and the logs see are
     * those it was let in with, even if a refresh retired its key since (while
     * its body arrived, say), never none.
     */

    live = NULL;
    serial = 0;

    if (tlcf->verifier->sources) {
        live = ngx_http_tollgate_live(r->connection->log, tlcf->verifier);
        serial = live->serial;
    }

    same = ctx != NULL
           && ctx->verifier == tlcf->verifier
           && ctx->source == tlcf->token
           && (ctx->serial == serial || ctx->admitted)
           && ctx->outcome != NGX_HTTP_TOLLGATE_NO_KEYS;

    /*
     * the Authorization header the verdict was made from, unchanged: the same
     * token
     */

    if (same
        && tlcf->token == NULL
        && ctx->header == h
        && (h == NULL || (h->value.data == ctx->header_value.data
                          && h->value.len == ctx->header_value.len)))
    {
        goto reuse;
    }

    rc = ngx_http_tollgate_token(r, tlcf, &token);
    if (rc == NGX_ERROR) {
        return NULL;
    }

    if (same
        && ctx->token.len == token.len
        && (token.len == 0
            || ctx->token.data == token.data
            || ngx_memcmp(ctx->token.data, token.data, token.len) == 0))
    {
        goto reuse;
    }

    /*
     * A new verdict is made aside and kept only once complete: a failure (no
     * memory) must leave nothing a later call could take for a verdict.
     */

    ngx_memzero(&verdict, sizeof(ngx_http_tollgate_ctx_t));

    /*
     * A subrequest (a slice, an SSI include under a protected page) takes the
     * verdict an enclosing request made with the same verifier, keys and token,
     * and its scratch: each verdict holds one until the request ends.
     */

    made = ngx_http_tollgate_ancestor_verdict(r, tlcf, &token, serial);

    if (made) {
        verdict = *made;
        verdict.require_failed = 0;
        verdict.admitted = 0;     /* a subrequest's check is its own */

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "tollgate verdict of an enclosing request: %s",
                       ngx_http_tollgate_status_name(&verdict));
        goto keep;
    }

    verdict.verifier = tlcf->verifier;
    verdict.source = tlcf->token;
    verdict.token = token;
    verdict.header = h;
    verdict.serial = serial;

    if (h) {
        verdict.header_value = h->value;
    }

    if (rc == NGX_DECLINED) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "tollgate: no token");
        verdict.outcome = NGX_HTTP_TOLLGATE_MISSING;
        goto keep;
    }

    if (rc == NGX_ABORT) {
        verdict.outcome = NGX_HTTP_TOLLGATE_MALFORMED;
        verdict.status = TOLLGATE_STATUS_MALFORMED;
        goto keep;
    }

    if (live && live->verifier == NULL) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "tollgate: no keys from the key requests yet");
        verdict.outcome = NGX_HTTP_TOLLGATE_NO_KEYS;
        goto keep;
    }

    /* the claims live in the scratch, which lives as long as the request */

    scratch = ngx_http_tollgate_scratch(r);
    if (scratch == NULL) {
        return NULL;
    }

    status = ngx_http_tollgate_verify(r, tlcf, live, &token, scratch, &claims);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "tollgate: token of %uz bytes verified: %s",
                   token.len, tollgate_status_name(status));

    if (status == TOLLGATE_STATUS_OK) {
        verdict.outcome = NGX_HTTP_TOLLGATE_VERIFIED;
        verdict.claims = claims;
        goto keep;
    }

    verdict.status = status;

    /*
     * A rejected header token that is not even a b64token (RFC 6750 §2.1) makes
     * the request malformed rather than the token invalid. Checked only after a
     * rejection, so a good token is scanned once, by the verifier.
     */

    if (tlcf->token == NULL && !ngx_http_tollgate_is_b64token(&token)) {
        verdict.outcome = NGX_HTTP_TOLLGATE_MALFORMED;

    } else {
        verdict.outcome = NGX_HTTP_TOLLGATE_REJECTED;
    }

keep:

    if (ctx == NULL) {
        ctx = ngx_palloc(r->pool, sizeof(ngx_http_tollgate_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_memzero(ctx, sizeof(ngx_http_tollgate_ctx_t));
        ngx_http_set_ctx(r, ctx, ngx_http_tollgate_module);
    }

    /*
     * Values nginx cached for this request's $jwt_* variables belonged to the
     * last verdict. Claims already handed out stay valid: their scratch is not
     * reused before the request ends. A wait for keys belongs to this request,
     * never to the verdict (nor to an ancestor's verdict it copied).
     */

    ngx_http_tollgate_forget_variables(r);

    verdict.waiter = ctx->waiter;
    *ctx = verdict;

    return ctx;

reuse:

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "tollgate verdict reused: %s",
                   ngx_http_tollgate_status_name(ctx));

    return ctx;
}


/*
 * The verdict of the nearest enclosing request made with this verifier, these
 * keys and this token source for this token, or NULL. Only the same inputs
 * give the same verdict: never one of another verifier, policy, key set or
 * token.
 */

static ngx_http_tollgate_ctx_t *
ngx_http_tollgate_ancestor_verdict(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_str_t *token, ngx_uint_t serial)
{
    ngx_http_request_t       *pr;
    ngx_http_tollgate_ctx_t  *ctx;

    for (pr = r->parent; pr; pr = pr->parent) {
        ctx = ngx_http_get_module_ctx(pr, ngx_http_tollgate_module);

        if (ctx != NULL
            && ctx->verifier == tlcf->verifier
            && ctx->source == tlcf->token
            && ctx->serial == serial
            && ctx->outcome != NGX_HTTP_TOLLGATE_NO_KEYS
            && ctx->token.len == token->len
            && (token->len == 0
                || ngx_memcmp(ctx->token.data, token->data, token->len) == 0))
        {
            return ctx;
        }
    }

    return NULL;
}


/*
 * The verdict the variables of this request see: the location's, verified on
 * first use; in a subrequest to a location without auth_jwt, what the main
 * request sees where it is now. NGX_DECLINED: none.
 */

ngx_int_t
ngx_http_tollgate_current(ngx_http_request_t *r, ngx_http_tollgate_ctx_t **ctx)
{
    ngx_http_tollgate_loc_conf_t  *tlcf;

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_tollgate_module);

    if (tlcf->enabled) {
        *ctx = ngx_http_tollgate_verdict(r, tlcf);
        return (*ctx == NULL) ? NGX_ERROR : NGX_OK;
    }

    if (r == r->main) {
        return NGX_DECLINED;
    }

    /*
     * The main request's verdict may have been made in a location it has left
     * (rewrite ... last keeps the context): only one made for its location now
     * counts.
     */

    *ctx = ngx_http_get_module_ctx(r->main, ngx_http_tollgate_module);
    tlcf = ngx_http_get_module_loc_conf(r->main, ngx_http_tollgate_module);

    if (*ctx == NULL
        || !tlcf->enabled
        || (*ctx)->verifier != tlcf->verifier
        || (*ctx)->source != tlcf->token)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* the verdict's stable name, for $jwt_status */

const char *
ngx_http_tollgate_status_name(ngx_http_tollgate_ctx_t *ctx)
{
    switch (ctx->outcome) {

    case NGX_HTTP_TOLLGATE_VERIFIED:
        return ctx->require_failed ? "require_failed" : "ok";

    case NGX_HTTP_TOLLGATE_MISSING:
        return "missing_token";

    case NGX_HTTP_TOLLGATE_MALFORMED:
        return "malformed_header";

    case NGX_HTTP_TOLLGATE_NO_KEYS:
        return "keys_unavailable";

    default:
        return tollgate_status_name(ctx->status);
    }
}


/*
 * NGX_OK: a token; NGX_DECLINED: no bearer credentials; NGX_ABORT: a malformed
 * Authorization header; NGX_ERROR.
 */

static ngx_int_t
ngx_http_tollgate_token(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_str_t *token)
{
    if (tlcf->token == NULL) {
        return ngx_http_tollgate_bearer(r, token);
    }

    if (ngx_http_complex_value(r, tlcf->token, token) != NGX_OK) {
        return NGX_ERROR;
    }

    return token->len ? NGX_OK : NGX_DECLINED;
}


/*
 * Finds the token in "Authorization: Bearer <b64token>" (RFC 6750 §2.1),
 * without the optional whitespace around it (SP and HTAB, RFC 9110 §5.6.3):
 * nginx trims only spaces.
 */

static ngx_int_t
ngx_http_tollgate_bearer(ngx_http_request_t *r, ngx_str_t *token)
{
    u_char           *p, *last;
    ngx_table_elt_t  *h;

    h = r->headers_in.authorization;

    ngx_str_null(token);

    if (h == NULL) {
        return NGX_DECLINED;
    }

    p = h->value.data;
    last = p + h->value.len;

    /*
     * the scheme is case-insensitive; "| 0x20" lowercases a letter, and only
     * that letter's two cases give it
     */

    if (h->value.len < sizeof("Bearer") - 1
        || (p[0] | 0x20) != 'b' || (p[1] | 0x20) != 'e' || (p[2] | 0x20) != 'a'
        || (p[3] | 0x20) != 'r' || (p[4] | 0x20) != 'e' || (p[5] | 0x20) != 'r')
    {
        return NGX_DECLINED;
    }

    p += sizeof("Bearer") - 1;

    if (p < last && *p != ' ' && *p != '\t') {
        /* another scheme, such as "Bearerx" */
        return NGX_DECLINED;
    }

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (last > p && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    token->data = p;
    token->len = last - p;

    return token->len ? NGX_OK : NGX_ABORT;
}


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


/* auth_jwt_require: every value must hold, after the token verified */

static ngx_int_t
ngx_http_tollgate_require(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_http_tollgate_ctx_t *ctx)
{
    ngx_uint_t                          i, j, falsy;
    ngx_http_tollgate_require_t        *rule;
    ngx_http_tollgate_require_value_t  *rv;

    ctx->require_failed = 0;

    if (tlcf->requires == NULL) {
        return NGX_OK;
    }

    rule = tlcf->requires->elts;

    for (i = 0; i < tlcf->requires->nelts; i++) {
        rv = rule[i].values->elts;

        for (j = 0; j < rule[i].values->nelts; j++) {
            falsy = ngx_http_tollgate_falsy(r, ctx, &rv[j]);

            if (falsy == (ngx_uint_t) NGX_ERROR) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (!falsy) {
                continue;
            }

            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "tollgate: auth_jwt_require not satisfied");

            ctx->require_failed = 1;

            if (rule[i].status == NGX_HTTP_FORBIDDEN) {
                return NGX_HTTP_FORBIDDEN;
            }

            return ngx_http_tollgate_challenge(r, tlcf, NGX_HTTP_UNAUTHORIZED,
                                               "invalid_token",
                                               "a required claim check failed");
        }
    }

    return NGX_OK;
}


/*
 * Whether a required value fails. A value that is one claim ($jwt_claim_<name>
 * alone) fails when the claim is absent, null, false, a number equal to zero,
 * "" or "0", [] or {}; any other value, as text, when it is empty or "0" (NGINX
 * Plus's rule).
 */

static ngx_uint_t
ngx_http_tollgate_falsy(ngx_http_request_t *r, ngx_http_tollgate_ctx_t *ctx,
    ngx_http_tollgate_require_value_t *rv)
{
    u_char              *p, *last;
    ngx_int_t            rc;
    ngx_str_t            text;
    tollgate_json_kind   kind;

    if (rv->claim.len == 0) {
        if (ngx_http_complex_value(r, &rv->value, &text) != NGX_OK) {
            return (ngx_uint_t) NGX_ERROR;
        }

        return text.len == 0 || (text.len == 1 && text.data[0] == '0');
    }

    rc = ngx_http_tollgate_value(r, ctx, rv->part, &rv->claim, &kind, &text);

    if (rc == NGX_ERROR) {
        return (ngx_uint_t) NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return 1;
    }

    switch (kind) {

    case TOLLGATE_JSON_KIND_NULL:
        return 1;

    case TOLLGATE_JSON_KIND_BOOL:
        return text.data[0] == 'f';

    case TOLLGATE_JSON_KIND_NUMBER:
        /* zero whatever its spelling: 0, -0, 0.0, 0e5 */
        last = text.data + text.len;

        for (p = text.data; p < last && *p != 'e' && *p != 'E'; p++) {
            if (*p >= '1' && *p <= '9') {
                return 0;
            }
        }

        return 1;

    case TOLLGATE_JSON_KIND_OBJECT:
        return text.len == 2;   /* {}, compacted */

    case TOLLGATE_JSON_KIND_ARRAY:
        return ngx_http_tollgate_empty_array(ctx, rv);

    default: /* a string */
        return text.len == 0 || (text.len == 1 && text.data[0] == '0');
    }
}


/*
 * whether an array claim has no elements: its text alone cannot tell [] from
 * [""]
 */

static ngx_uint_t
ngx_http_tollgate_empty_array(ngx_http_tollgate_ctx_t *ctx,
    ngx_http_tollgate_require_value_t *rv)
{
    u_char          *p, *last;
    tollgate_value   value;
    tollgate_status  rc;

    if (rv->part == NGX_HTTP_TOLLGATE_CLAIMS) {
        rc = tollgate_claims_get(ctx->claims, rv->claim.data, rv->claim.len,
                                 &value);
    } else {
        rc = tollgate_claims_header(ctx->claims, rv->claim.data, rv->claim.len,
                                    &value);
    }

    if (rc != TOLLGATE_STATUS_OK || value.raw_len < 2) {
        return 1;
    }

    /* the raw JSON, "[" then optional whitespace then "]" */

    p = (u_char *) value.raw + 1;
    last = (u_char *) value.raw + value.raw_len;

    while (p < last && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        p++;
    }

    return p < last && *p == ']';
}


/* WWW-Authenticate: Bearer realm="...", error="...", ... (RFC 6750 §3) */

static ngx_int_t
ngx_http_tollgate_challenge(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf, ngx_int_t status, const char *error,
    const char *description)
{
    size_t            len;
    u_char           *p;
    ngx_str_t        *hint;
    ngx_table_elt_t  *h;

    hint = &tlcf->verifier->scope_hint;

    if (status != NGX_HTTP_FORBIDDEN) {
        hint = NULL;

    } else if (hint->len == 0) {
        hint = NULL;
    }

    len = sizeof("Bearer realm=\"\"") - 1 + tlcf->realm.len;

    if (error) {
        len += sizeof(", error=\"\", error_description=\"\"") - 1
               + ngx_strlen(error) + ngx_strlen(description);
    }

    if (hint) {
        len += sizeof(", scope=\"\"") - 1 + hint->len;
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

    if (hint) {
        p = ngx_sprintf(p, ", scope=\"%V\"", hint);
    }

    h->value.len = p - h->value.data;

#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    r->headers_out.www_authenticate = h;

    return status;
}


/*
 * No keys from the key requests yet: the token is not at fault, so 503 with
 * Retry-After (when a fetch may next succeed) rather than 401. The fetch's
 * failure was logged at warn with its reason.
 */

static ngx_int_t
ngx_http_tollgate_unavailable(ngx_http_request_t *r,
    ngx_http_tollgate_loc_conf_t *tlcf)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "tollgate: no keys from auth_jwt_key_request yet: 503");

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Retry-After");
    h->value.data = p;
    h->value.len = ngx_sprintf(p, "%T",
                               ngx_http_tollgate_retry_after(tlcf->verifier))
                   - p;

#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_HTTP_SERVICE_UNAVAILABLE;
}


/*
 * Scratch memory for a verification, whose claims must outlive it: variables
 * are read when the request is proxied and logged. Each worker keeps released
 * scratches for reuse instead of allocating 16 KiB per request, prepared once
 * (tollgate_scratch_init) so a verification does not initialise them again; a
 * request pool cleanup gives them back.
 */

static tollgate_scratch *
ngx_http_tollgate_scratch(ngx_http_request_t *r)
{
    void                *mem;
    tollgate_status      rc;
    tollgate_scratch    *scratch;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    if (ngx_http_tollgate_nfree_scratches) {
        scratch = ngx_http_tollgate_free_scratches
                      [--ngx_http_tollgate_nfree_scratches];

    } else {
        mem = ngx_memalign(TOLLGATE_SCRATCH_ALIGN, TOLLGATE_SCRATCH_SIZE,
                           r->connection->log);
        if (mem == NULL) {
            return NULL;
        }

        rc = tollgate_scratch_init(mem, TOLLGATE_SCRATCH_SIZE, &scratch);

        if (rc != TOLLGATE_STATUS_OK) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "tollgate: scratch: %s", tollgate_status_str(rc));
            ngx_free(mem);
            return NULL;
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "tollgate: scratch %p allocated", scratch);
    }

    cln->handler = ngx_http_tollgate_release_scratch;
    cln->data = scratch;

    return scratch;
}


static void
ngx_http_tollgate_release_scratch(void *data)
{
    if (ngx_http_tollgate_nfree_scratches < NGX_HTTP_TOLLGATE_FREE_SCRATCHES) {
        ngx_http_tollgate_free_scratches[ngx_http_tollgate_nfree_scratches++] =
                                                                        data;
        return;
    }

    /* the handle is the memory ngx_memalign() gave */
    ngx_free(data);
}
