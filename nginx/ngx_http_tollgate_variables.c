
/*
 * $jwt_claim_<name>, $jwt_header_<name>, $jwt_payload and $jwt_status.
 *
 * A claim is attacker-influenced text even when signed, and these values go
 * into HTTP headers, logs and maps. So a value whose text would hold a control
 * byte (below 0x20, or 0x7f: CR, LF, NUL, HTAB, DEL, from JSON escapes or raw
 * whitespace) is not found, and the module logs the claim's name at info, never
 * its value. JSON values (objects, $jwt_payload) are rendered without
 * insignificant whitespace.
 *
 * The variables are not cacheable: nginx shares variable values between a
 * request and its subrequests and keeps them across internal redirects, while a
 * verdict belongs to one location's configuration and token. Each use asks the
 * request's verdict, which is made once.
 */


#include "ngx_http_tollgate_module.h"


static ngx_int_t ngx_http_tollgate_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_tollgate_header_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_tollgate_text_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_str_t *var, size_t prefix,
    ngx_uint_t part);
static ngx_int_t ngx_http_tollgate_payload_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_tollgate_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_tollgate_json(ngx_http_request_t *r, ngx_str_t *json);
static ngx_uint_t ngx_http_tollgate_has_control(ngx_str_t *text);


static ngx_http_variable_t  ngx_http_tollgate_vars[] = {

    { ngx_string("jwt_claim_"), NULL, ngx_http_tollgate_claim_variable,
      0, NGX_HTTP_VAR_PREFIX|NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("jwt_header_"), NULL, ngx_http_tollgate_header_variable,
      0, NGX_HTTP_VAR_PREFIX|NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("jwt_payload"), NULL, ngx_http_tollgate_payload_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("jwt_status"), NULL, ngx_http_tollgate_status_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
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


/*
 * Notes where nginx keeps the values of this module's variables in a request,
 * so a new verdict can drop them (see ngx_http_tollgate_forget_variables).
 */

ngx_int_t
ngx_http_tollgate_find_variables(ngx_cycle_t *cycle)
{
    ngx_uint_t                      i, *index;
    ngx_http_variable_t            *v, *own;
    ngx_http_core_main_conf_t      *cmcf;
    ngx_http_tollgate_main_conf_t  *tmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_core_module);
    tmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_tollgate_module);

    if (cmcf == NULL || tmcf == NULL) {
        return NGX_OK;
    }

    v = cmcf->variables.elts;

    for (i = 0; i < cmcf->variables.nelts; i++) {
        for (own = ngx_http_tollgate_vars; own->name.len; own++) {
            if (v[i].get_handler != own->get_handler) {
                continue;
            }

            index = ngx_array_push(&tmcf->variables);
            if (index == NULL) {
                return NGX_ERROR;
            }

            *index = i;
            break;
        }
    }

    return NGX_OK;
}


/*
 * the get functions (such as the log module's) return a kept value without
 * asking again
 */

void
ngx_http_tollgate_forget_variables(ngx_http_request_t *r)
{
    ngx_uint_t                     *index, i;
    ngx_http_tollgate_main_conf_t  *tmcf;

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_tollgate_module);

    index = tmcf->variables.elts;

    for (i = 0; i < tmcf->variables.nelts; i++) {
        r->variables[index[i]].valid = 0;
        r->variables[index[i]].not_found = 0;
    }
}


/*
 * A claim or header parameter as text: a string unescaped, an array's elements
 * joined with ",", an object as compact JSON, anything else as its JSON text.
 * NGX_DECLINED when it is absent, or its text holds a control byte (logged by
 * name).
 */

ngx_int_t
ngx_http_tollgate_value(ngx_http_request_t *r, ngx_http_tollgate_ctx_t *ctx,
    ngx_uint_t part, ngx_str_t *name, tollgate_json_kind *kind, ngx_str_t *text)
{
    u_char           *p;
    size_t            len;
    tollgate_value    value;
    tollgate_status   rc;

    if (ctx->claims == NULL) {
        return NGX_DECLINED;
    }

    if (part == NGX_HTTP_TOLLGATE_CLAIMS) {
        rc = tollgate_claims_get(ctx->claims, name->data, name->len, &value);

    } else {
        rc = tollgate_claims_header(ctx->claims, name->data, name->len, &value);
    }

    if (rc != TOLLGATE_STATUS_OK) {
        return NGX_DECLINED;
    }

    *kind = value.kind;

    switch (value.kind) {

    case TOLLGATE_JSON_KIND_STRING:
        /* the scratch lives as long as the request: no copy */
        text->data = (u_char *) value.text;
        text->len = value.text_len;
        break;

    case TOLLGATE_JSON_KIND_ARRAY:
        if (part == NGX_HTTP_TOLLGATE_CLAIMS) {
            rc = tollgate_claims_text(ctx->claims, name->data, name->len,
                                      NULL, 0, &len);
        } else {
            rc = tollgate_claims_header_text(ctx->claims, name->data, name->len,
                                             NULL, 0, &len);
        }

        if (rc != TOLLGATE_STATUS_OK) {
            return NGX_ERROR;
        }

        p = ngx_pnalloc(r->pool, len ? len : 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        if (part == NGX_HTTP_TOLLGATE_CLAIMS) {
            rc = tollgate_claims_text(ctx->claims, name->data, name->len,
                                      p, len, &len);
        } else {
            rc = tollgate_claims_header_text(ctx->claims, name->data, name->len,
                                             p, len, &len);
        }

        if (rc != TOLLGATE_STATUS_OK) {
            return NGX_ERROR;
        }

        text->data = p;
        text->len = len;
        break;

    default:
        text->data = (u_char *) value.raw;
        text->len = value.raw_len;

        if (value.kind == TOLLGATE_JSON_KIND_OBJECT
            && ngx_http_tollgate_json(r, text) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_http_tollgate_has_control(text)) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "tollgate: the %s \"%V\" has control characters: "
                      "its variable is empty",
                      part == NGX_HTTP_TOLLGATE_CLAIMS ? "claim"
                                                       : "header parameter",
                      name);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* $jwt_claim_<name>: a claim as text */

static ngx_int_t
ngx_http_tollgate_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    return ngx_http_tollgate_text_variable(r, v, (ngx_str_t *) data,
                                           sizeof("jwt_claim_") - 1,
                                           NGX_HTTP_TOLLGATE_CLAIMS);
}


/* $jwt_header_<name>: a header parameter as text */

static ngx_int_t
ngx_http_tollgate_header_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    return ngx_http_tollgate_text_variable(r, v, (ngx_str_t *) data,
                                           sizeof("jwt_header_") - 1,
                                           NGX_HTTP_TOLLGATE_HEADER);
}


static ngx_int_t
ngx_http_tollgate_text_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_str_t *var, size_t prefix,
    ngx_uint_t part)
{
    ngx_int_t                 rc;
    ngx_str_t                 name, text;
    tollgate_json_kind        kind;
    ngx_http_tollgate_ctx_t  *ctx;

    rc = ngx_http_tollgate_current(r, &ctx);

    if (rc == NGX_OK) {
        name.data = var->data + prefix;
        name.len = var->len - prefix;

        rc = ngx_http_tollgate_value(r, ctx, part, &name, &kind, &text);
    }

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = text.data;
    v->len = text.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* $jwt_payload: the verified claims as compact JSON */

static ngx_int_t
ngx_http_tollgate_payload_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    size_t                    len;
    ngx_int_t                 rc;
    const uint8_t            *p;
    ngx_http_tollgate_ctx_t  *ctx;

    rc = ngx_http_tollgate_current(r, &ctx);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED || ctx->claims == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ctx->payload.data == NULL) {
        if (tollgate_claims_payload_json(ctx->claims, &p, &len)
            != TOLLGATE_STATUS_OK)
        {
            return NGX_ERROR;
        }

        ctx->payload.data = (u_char *) p;
        ctx->payload.len = len;

        if (ngx_http_tollgate_json(r, &ctx->payload) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /* raw DEL, or a control byte left by some future renderer */

    if (ngx_http_tollgate_has_control(&ctx->payload)) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "tollgate: the payload has control characters: "
                      "$jwt_payload is empty");
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = ctx->payload.data;
    v->len = ctx->payload.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* $jwt_status: the verdict's stable name (ok, expired, missing_token, ...) */

static ngx_int_t
ngx_http_tollgate_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_int_t                 rc;
    const char               *name;
    ngx_http_tollgate_ctx_t  *ctx;

    rc = ngx_http_tollgate_current(r, &ctx);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        v->not_found = 1;
        return NGX_OK;
    }

    name = ngx_http_tollgate_status_name(ctx);

    v->data = (u_char *) name;
    v->len = ngx_strlen(name);
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * JSON without insignificant whitespace (RFC 8259 §2: SP, HTAB, LF and CR
 * between tokens); strings are kept as signed, escapes and all. Copies only
 * when there is whitespace to drop.
 */

static ngx_int_t
ngx_http_tollgate_json(ngx_http_request_t *r, ngx_str_t *json)
{
    u_char      *p, *last, *dst, *start;
    ngx_uint_t   string, escaped, copy;

    start = NULL;
    dst = NULL;
    string = 0;
    escaped = 0;
    last = json->data + json->len;

    /* the first pass finds whether a copy is needed, the second makes it */

    for (copy = 0; copy < 2; copy++) {

        for (p = json->data; p < last; p++) {

            if (string) {
                if (escaped) {
                    escaped = 0;

                } else if (*p == '\\') {
                    escaped = 1;

                } else if (*p == '"') {
                    string = 0;
                }

            } else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
                if (!copy) {
                    break;
                }

                continue;

            } else if (*p == '"') {
                string = 1;
            }

            if (copy) {
                *dst++ = *p;
            }
        }

        if (!copy) {
            if (p == last) {
                return NGX_OK;
            }

            start = ngx_pnalloc(r->pool, json->len);
            if (start == NULL) {
                return NGX_ERROR;
            }

            dst = start;
            string = 0;
            escaped = 0;
        }
    }

    json->data = start;
    json->len = dst - start;

    return NGX_OK;
}


/*
 * whether text holds a byte below 0x20 or 0x7f; eight bytes at a time, as every
 * use pays it
 */

static ngx_uint_t
ngx_http_tollgate_has_control(ngx_str_t *text)
{
    u_char    *p, *last;
    uint64_t   w, del;

    p = text->data;
    last = p + text->len;

    for ( /* void */ ; last - p >= 8; p += 8) {
        ngx_memcpy(&w, p, 8);

        /*
         * a byte below 0x20, or a zero byte in w ^ 0x7f..., sets that byte's
         * top bit
         */

        del = w ^ 0x7f7f7f7f7f7f7f7fULL;

        if ((((w - 0x2020202020202020ULL) & ~w)
             | ((del - 0x0101010101010101ULL) & ~del))
            & 0x8080808080808080ULL)
        {
            return 1;
        }
    }

    for ( /* void */ ; p < last; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return 1;
        }
    }

    return 0;
}
