
/*
 * Key sources: where a verifier's keys come from. Today that is JWKS files,
 * read and checked when the configuration is read, so `nginx -t` reports a bad
 * file with the reason and the key it concerns; a reload reads them again.
 */


#include "ngx_http_tollgate_module.h"


#define NGX_HTTP_TOLLGATE_MAX_KEY_FILE  (1024 * 1024)


static ngx_int_t ngx_http_tollgate_check_jwks(ngx_conf_t *cf, ngx_str_t *path,
    ngx_str_t *jwks);


/*
 * reads the JWKS file "name" into "jwks" (in the configuration's pool) and
 * checks it
 */

ngx_int_t
ngx_http_tollgate_read_key_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *jwks)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_str_t        path;
    ngx_file_info_t  fi;

    path = *name;

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", path.data);
        return NGX_ERROR;
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

    return ngx_http_tollgate_check_jwks(cf, &path, jwks);

failed:

    ngx_close_file(fd);
    return NGX_ERROR;
}


/* a bad file fails here, with the reason and the key it concerns */

static ngx_int_t
ngx_http_tollgate_check_jwks(ngx_conf_t *cf, ngx_str_t *path, ngx_str_t *jwks)
{
    tollgate_status        rc;
    tollgate_keyset       *keys;
    tollgate_jwks_report   report;

    keys = NULL;
    ngx_memzero(&report, sizeof(tollgate_jwks_report));
    report.error_key_index = -1;

    rc = tollgate_keyset_new(&keys);

    if (rc == TOLLGATE_STATUS_OK) {
        rc = tollgate_keyset_add_jwks(keys, jwks->data, jwks->len, &report);
    }

    tollgate_keyset_free(keys);

    /* before a refusal too: "no usable key" is explained by what was skipped */
    ngx_http_tollgate_log_skipped(cf->log, "key file", path, jwks, &report);

    if (rc != TOLLGATE_STATUS_OK) {
        if (report.error_key_index >= 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "key file \"%V\": keys[%i]: %s (%s)",
                               path, (ngx_int_t) report.error_key_index,
                               tollgate_status_str(rc),
                               tollgate_status_name(rc));
        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "key file \"%V\": %s (%s)", path,
                               tollgate_status_str(rc),
                               tollgate_status_name(rc));
        }

        return NGX_ERROR;
    }

    if (report.private_members_ignored) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "key file \"%V\" holds private key material "
                           "(\"d\"); only public keys are used", path);
    }

    return NGX_OK;
}


/*
 * One notice per skipped key: its index in "keys", its kid as written in the
 * JSON (escapes included) when that is short printable ASCII, and the reason;
 * never the key's other members (RFC 7517 section 5 has verifiers skip keys
 * they cannot use; the operator should still learn which, as a token may name
 * one of them). The error log does not escape: other kids are not shown.
 */

#define NGX_HTTP_TOLLGATE_MAX_LOGGED_KID  128

static ngx_int_t
ngx_http_tollgate_loggable_kid(ngx_str_t *jwks, tollgate_skipped_key *skip,
    ngx_str_t *kid)
{
    size_t          i;
    const uint8_t  *text;

    if (tollgate_jwks_kid(jwks->data, jwks->len, skip->key_index, &text,
                          &kid->len)
        != TOLLGATE_STATUS_OK)
    {
        kid->len = 0;
        return 0;
    }

    kid->data = (u_char *) text;

    if (kid->len > NGX_HTTP_TOLLGATE_MAX_LOGGED_KID) {
        return 0;
    }

    for (i = 0; i < kid->len; i++) {
        if (kid->data[i] < 0x20 || kid->data[i] > 0x7e) {
            return 0;
        }
    }

    return 1;
}


void
ngx_http_tollgate_log_skipped(ngx_log_t *log, const char *what,
    ngx_str_t *name, ngx_str_t *jwks, tollgate_jwks_report *report)
{
    ngx_str_t              kid;
    ngx_uint_t             i, listed;
    tollgate_skipped_key  *skip;

    /* as ngx_log_error decides: when notices are not logged, no kid is looked up */
    if (log->log_level < NGX_LOG_NOTICE) {
        return;
    }

    listed = ngx_min(report->skipped_listed, TOLLGATE_JWKS_REPORT_MAX_SKIPS);

    for (i = 0; i < listed; i++) {
        skip = &report->skipped_keys[i];

        if (ngx_http_tollgate_loggable_kid(jwks, skip, &kid)) {
            ngx_log_error(NGX_LOG_NOTICE, log, 0,
                          "%s \"%V\": keys[%ui] (kid \"%V\") skipped: %s (%s)",
                          what, name, (ngx_uint_t) skip->key_index, &kid,
                          tollgate_status_str(skip->reason),
                          tollgate_status_name(skip->reason));

        } else {
            ngx_log_error(NGX_LOG_NOTICE, log, 0,
                          "%s \"%V\": keys[%ui]%s skipped: %s (%s)",
                          what, name, (ngx_uint_t) skip->key_index,
                          kid.len ? " (kid not shown: not short "
                                    "printable ASCII)" : "",
                          tollgate_status_str(skip->reason),
                          tollgate_status_name(skip->reason));
        }
    }

    if (report->skipped > listed) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "%s \"%V\": %ui more keys skipped", what, name,
                      (ngx_uint_t) (report->skipped - listed));
    }
}


/*
 * A key set of every file's keys. On failure "file" is the index of the file
 * that could not be added (files are checked one by one when read; together
 * they can still clash).
 */

tollgate_status
ngx_http_tollgate_load_keys(ngx_array_t *jwks, tollgate_keyset **keys,
    ngx_int_t *file)
{
    ngx_str_t        *s;
    ngx_uint_t        i;
    tollgate_status   rc;

    *keys = NULL;
    *file = -1;

    rc = tollgate_keyset_new(keys);

    s = jwks->elts;

    for (i = 0; rc == TOLLGATE_STATUS_OK && i < jwks->nelts; i++) {
        rc = tollgate_keyset_add_jwks(*keys, s[i].data, s[i].len, NULL);

        if (rc != TOLLGATE_STATUS_OK) {
            *file = i;
        }
    }

    if (rc != TOLLGATE_STATUS_OK) {
        tollgate_keyset_free(*keys);
        *keys = NULL;
    }

    return rc;
}
