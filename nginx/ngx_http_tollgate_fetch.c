
/*
 * Key requests: fetching a key set with a subrequest, and waiting for it.
 *
 * A fetch is a background subrequest (NGX_HTTP_SUBREQUEST_BACKGROUND) to the
 * configured URI, usually an internal location that proxies to the identity
 * provider, so TLS, timeouts, resolvers and proxy_cache are nginx's own. It
 * carries none of the client's headers or body. Its response never reaches the
 * client: this module's header and body filters, first in the chains, keep the
 * status and at most NGX_HTTP_TOLLGATE_MAX_JWKS bytes of the body (stopping the
 * subrequest beyond that), and drop the rest.
 *
 * Only a worker that holds the zone's claim fetches (one fetch for all
 * workers), and a worker runs one fetch per key request. A request that needs
 * keys that are not there yet (no keys at all, or a first fetch pending, or a
 * token whose key is unknown when it started an early refresh) waits in the
 * rewrite phase, before anything can read its claims: queued on the fetch of
 * its worker, or polling the zone when another worker fetches, for at most
 * NGX_HTTP_TOLLGATE_KEY_WAIT. A finished fetch posts its waiters' events;
 * nothing is resumed from inside the fetch's completion. A waiter whose request
 * goes away leaves the queue with its pool, and a fetch whose request goes away
 * (a client closing the connection ends its subrequests) gives up its claim and
 * wakes its waiters, one of which starts another a moment later (the zone
 * spaces abandoned fetches, so leaving clients cannot buy one each).
 *
 * A fetch has a deadline of its own, twice the refresh interval (from 10 s, a
 * backstop behind the location's own timeouts, up to the zone's claim):
 * proxy_read_timeout bounds each read, not the whole, and a provider that
 * drips a byte at a time would otherwise hold the worker's refreshes, and the
 * client connection that started it, forever. At the deadline the fetch fails
 * (the keys in use stay) and its upstream is timed out the way nginx times out
 * a read, so the subrequest ends on nginx's own path.
 */


#include "ngx_http_tollgate_module.h"


/* the longest a request waits for keys, and how often it looks at the zone */
#define NGX_HTTP_TOLLGATE_KEY_WAIT  5000
#define NGX_HTTP_TOLLGATE_KEY_POLL  100

/*
 * a fetch's deadline, in seconds: twice the refresh interval, within its claim;
 * at least 10 s, a backstop behind the key location's own timeouts
 */
#define NGX_HTTP_TOLLGATE_FETCH_MIN  10
#define ngx_http_tollgate_fetch_time(s)                                       \
    ngx_min(ngx_max(2 * (s)->interval, NGX_HTTP_TOLLGATE_FETCH_MIN),          \
            NGX_HTTP_TOLLGATE_CLAIM)


struct ngx_http_tollgate_fetch_s {
    ngx_http_tollgate_held_t      *held;        /* NULL once over */
    ngx_http_request_t            *request;     /* the subrequest */
    ngx_event_t                    deadline;
    u_char                        *body;        /* MAX_JWKS bytes, on use */
    size_t                         len;
    ngx_uint_t                     status;
    unsigned                       complete:1;
    unsigned                       too_large:1;
    unsigned                       given_up:1;  /* its deadline, or no memory */
};


struct ngx_http_tollgate_waiter_s {
    ngx_http_request_t            *request;
    ngx_event_t                    event;
    ngx_queue_t                    queue;
    ngx_msec_t                     deadline;
    unsigned                       queued:1;
    unsigned                       early:1;     /* its early refresh began */
    unsigned                       gave_up:1;
};


static ngx_int_t ngx_http_tollgate_keys_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_tollgate_start(ngx_http_request_t *r,
    ngx_http_tollgate_held_t *held, ngx_uint_t why);
static ngx_int_t ngx_http_tollgate_fetch_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc);
static void ngx_http_tollgate_fetch_result(ngx_http_request_t *r,
    ngx_http_tollgate_fetch_t *fetch, ngx_http_tollgate_held_t *held,
    ngx_int_t rc);
static void ngx_http_tollgate_fetch_cleanup(void *data);
static void ngx_http_tollgate_fetch_expired(ngx_event_t *ev);
static void ngx_http_tollgate_stop_upstream(ngx_http_request_t *sr);
static ngx_int_t ngx_http_tollgate_wait(ngx_http_request_t *r,
    ngx_http_tollgate_ctx_t *ctx, ngx_http_tollgate_held_t *held,
    ngx_uint_t early);
static ngx_http_tollgate_waiter_t *ngx_http_tollgate_waiter(
    ngx_http_request_t *r, ngx_http_tollgate_ctx_t *ctx);
static void ngx_http_tollgate_wake(ngx_http_tollgate_held_t *held);
static void ngx_http_tollgate_resume(ngx_event_t *ev);
static void ngx_http_tollgate_waiter_cleanup(void *data);
static ngx_int_t ngx_http_tollgate_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_tollgate_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_int_t
ngx_http_tollgate_init_fetch(ngx_conf_t *cf)
{
    ngx_http_handler_pt            *h;
    ngx_http_core_main_conf_t      *cmcf;
    ngx_http_tollgate_main_conf_t  *tmcf;

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_tollgate_module);

    if (tmcf->sources.nelts == 0) {
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /*
     * pushed after the module's other rewrite-phase handler, so it runs first:
     * a subrequest's check needs keys too
     */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_tollgate_keys_handler;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_tollgate_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_tollgate_body_filter;

    return NGX_OK;
}


/* whether "r" is one of this module's fetches: no client made it */

ngx_uint_t
ngx_http_tollgate_is_fetch(ngx_http_request_t *r)
{
    return r->post_subrequest != NULL
           && r->post_subrequest->handler == ngx_http_tollgate_fetch_done;
}


/*
 * The rewrite-phase step of locations with key requests: starts the fetches
 * that are due (the first, one after auth_jwt_key_cache, an early one for an
 * unknown key), and makes the request wait when it needs their result.
 */

static ngx_int_t
ngx_http_tollgate_keys_handler(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_uint_t                     i, no_keys, unknown, busy, why;
    ngx_http_tollgate_ctx_t       *ctx;
    ngx_http_tollgate_held_t      *held, *wait_on;
    ngx_http_tollgate_waiter_t    *w;
    ngx_http_tollgate_source_t   **s;
    ngx_http_tollgate_loc_conf_t  *tlcf;

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_tollgate_module);

    if (!tlcf->enabled || tlcf->verifier->sources == NULL
        || ngx_http_tollgate_is_fetch(r))
    {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_tollgate_module);

    if (ctx && ctx->waiter
        && (ctx->waiter->queued || ctx->waiter->event.timer_set
            || ctx->waiter->event.posted))
    {
        /* not woken by this module: still waiting */
        return NGX_DONE;
    }

    ctx = ngx_http_tollgate_verdict(r, tlcf);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    w = ctx->waiter;

    no_keys = (ctx->outcome == NGX_HTTP_TOLLGATE_NO_KEYS);
    unknown = (ctx->outcome == NGX_HTTP_TOLLGATE_REJECTED
               && ctx->status == TOLLGATE_STATUS_UNKNOWN_KEY
               && (w == NULL || !w->early));

    wait_on = NULL;
    busy = 0;
    s = tlcf->verifier->sources->elts;

    for (i = 0; i < tlcf->verifier->sources->nelts; i++) {
        held = ngx_http_tollgate_held(s[i]);

        if (held->lost) {
            continue;
        }

        if (held->fetch) {
            /* under way from this worker: a first fetch is worth waiting for */

            if (no_keys || (unknown && held->generation == 0)) {
                wait_on = held;
            }

            continue;
        }

        if (held->generation == 0) {
            why = NGX_HTTP_TOLLGATE_FETCH_FIRST;
            rc = ngx_http_tollgate_start(r, held, why);

            /* another worker stored one since this request looked: take it */

            if (rc == NGX_DECLINED
                && ngx_http_tollgate_zone_pull(held, r->connection->log)
                   == NGX_OK)
            {
                rc = NGX_BUSY;
            }

        } else {
            why = NGX_HTTP_TOLLGATE_FETCH_EXPIRED;
            rc = ngx_http_tollgate_start(r, held, why);

            if (rc == NGX_DECLINED && unknown) {
                why = NGX_HTTP_TOLLGATE_FETCH_EARLY;
                rc = ngx_http_tollgate_start(r, held, why);
            }
        }

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_BUSY) {
            busy = 1;

        } else if (rc == NGX_OK && (no_keys || unknown)) {
            wait_on = held;
        }
    }

    /*
     * Waits for keys there are none of, and for the fetch this request began
     * for its unknown key; other unknown keys are rejected at once.
     */

    if ((no_keys && (wait_on || busy)) || (unknown && wait_on)) {
        return ngx_http_tollgate_wait(r, ctx, wait_on, unknown);
    }

    return NGX_DECLINED;
}


/*
 * Starts a fetch of "held" if the zone agrees: NGX_OK, or the zone's NGX_BUSY
 * or NGX_DECLINED, or NGX_ERROR.
 */

static ngx_int_t
ngx_http_tollgate_start(ngx_http_request_t *r, ngx_http_tollgate_held_t *held,
    ngx_uint_t why)
{
    ngx_int_t                    rc;
    ngx_str_t                   *args;
    ngx_pool_cleanup_t          *cln;
    ngx_http_request_t          *sr;
    ngx_http_tollgate_fetch_t   *fetch;
    ngx_http_tollgate_source_t  *s;
    ngx_http_post_subrequest_t  *ps;

    s = held->source;

    rc = ngx_http_tollgate_zone_claim(s, why);
    if (rc != NGX_OK) {
        return rc;
    }

    fetch = ngx_pcalloc(r->pool, sizeof(ngx_http_tollgate_fetch_t));
    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (fetch == NULL || ps == NULL || cln == NULL) {
        ngx_http_tollgate_zone_release(s);
        return NGX_ERROR;
    }

    ps->handler = ngx_http_tollgate_fetch_done;
    ps->data = fetch;

    args = s->args.len ? &s->args : NULL;

    if (ngx_http_subrequest(r, &s->uri, args, &sr, ps,
                            NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "tollgate: key request \"%V\" could not start",
                      &s->uri);
        ngx_http_tollgate_zone_release(s);
        return NGX_DECLINED;
    }

    /*
     * The identity provider gets none of the client's request: no
     * Authorization or cookies to leak, no Range or If-None-Match to make a
     * fetch fail, no body.
     */

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    if (ngx_list_init(&sr->headers_in.headers, r->pool, 1,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        ngx_http_tollgate_zone_release(s);
        return NGX_ERROR;
    }

    sr->headers_in.content_length_n = -1;
    sr->headers_in.keep_alive_n = -1;
    sr->request_body = NULL;
    sr->header_only = 0;

    fetch->held = held;
    fetch->request = sr;
    held->fetch = fetch;

    cln->handler = ngx_http_tollgate_fetch_cleanup;
    cln->data = fetch;

    fetch->deadline.handler = ngx_http_tollgate_fetch_expired;
    fetch->deadline.data = fetch;
    fetch->deadline.log = r->connection->log;
    fetch->deadline.cancelable = 1;

    ngx_add_timer(&fetch->deadline,
                  (ngx_msec_t) ngx_http_tollgate_fetch_time(s) * 1000);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "tollgate: key request \"%V\": fetching (%s)", &s->uri,
                  why == NGX_HTTP_TOLLGATE_FETCH_FIRST ? "first"
                  : why == NGX_HTTP_TOLLGATE_FETCH_EXPIRED ? "expired"
                  : "unknown key");

    return NGX_OK;
}


/*
 * The fetch's post_subrequest handler, when it ends however it ends. It answers
 * NGX_OK so a failed fetch ends alone: an error would end the client's request
 * too. nginx may call it more than once for a request.
 */

static ngx_int_t
ngx_http_tollgate_fetch_done(ngx_http_request_t *r, void *data, ngx_int_t rc)
{
    ngx_http_tollgate_fetch_t  *fetch = data;

    ngx_http_tollgate_held_t  *held;

    if (fetch->deadline.timer_set) {
        ngx_del_timer(&fetch->deadline);
    }

    held = fetch->held;

    if (held == NULL) {
        return NGX_OK;
    }

    fetch->held = NULL;
    held->fetch = NULL;

    if (!fetch->complete
        && (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST || r->connection->error))
    {
        /* the client left: not the identity provider's failure */

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "tollgate: key request \"%V\" ended with its request",
                      &held->source->uri);

        ngx_http_tollgate_zone_release(held->source);

    } else {
        ngx_http_tollgate_fetch_result(r, fetch, held, rc);
    }

    if (fetch->body) {
        ngx_free(fetch->body);
        fetch->body = NULL;
    }

    ngx_http_tollgate_wake(held);

    return NGX_OK;
}


/*
 * A usable key set goes to the zone (and a change is logged at notice); else
 * the reason is logged at warn and the zone backs off, keeping the last good
 * set. The log names the URI, the status and the counts, never a key.
 */

static void
ngx_http_tollgate_fetch_result(ngx_http_request_t *r,
    ngx_http_tollgate_fetch_t *fetch, ngx_http_tollgate_held_t *held,
    ngx_int_t rc)
{
    ngx_log_t                   *log;
    ngx_str_t                    body;
    ngx_uint_t                   status;
    const char                  *reason;
    tollgate_status              trc;
    tollgate_keyset             *keys;
    tollgate_jwks_report         report;
    ngx_http_tollgate_source_t  *s;

    s = held->source;
    log = r->connection->log;
    body.data = fetch->body;
    body.len = fetch->len;

    status = fetch->status;

    if (status == 0 && rc >= NGX_HTTP_OK && rc < 600) {
        status = rc;
    }

    reason = NULL;
    trc = TOLLGATE_STATUS_OK;
    ngx_memzero(&report, sizeof(tollgate_jwks_report));

    if (status != NGX_HTTP_OK) {
        reason = (status == 0) ? "no response" : "the status is not 200";

    } else if (fetch->too_large) {
        reason = "the key set is larger than 256 KiB";

    } else if (!fetch->complete || fetch->given_up || rc == NGX_ERROR) {
        reason = "the response was cut short";

    } else {
        keys = NULL;
        trc = tollgate_keyset_new(&keys);

        if (trc == TOLLGATE_STATUS_OK) {
            trc = tollgate_keyset_add_jwks(keys, fetch->body, fetch->len,
                                           &report);
        }

        tollgate_keyset_free(keys);

        if (trc == TOLLGATE_STATUS_JWKS_NO_USABLE_KEY) {
            /* what the provider published and why none of it is usable */
            ngx_http_tollgate_log_skipped(log, "tollgate: key request",
                                          &s->uri, &body, &report);
        }

        if (trc == TOLLGATE_STATUS_JWKS_NO_USABLE_KEY
            || (trc == TOLLGATE_STATUS_OK && report.loaded == 0))
        {
            reason = "no usable key";

        } else if (trc != TOLLGATE_STATUS_OK) {
            reason = tollgate_status_str(trc);
        }
    }

    if (reason) {
        ngx_http_tollgate_zone_fail(s);

        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "tollgate: key request \"%V\" failed: HTTP %ui: %s%s%s; "
                      "%s", &s->uri, status, reason,
                      trc != TOLLGATE_STATUS_OK ? ", " : "",
                      trc != TOLLGATE_STATUS_OK ? tollgate_status_name(trc)
                                                : "",
                      held->generation ? "the keys in use stay"
                                       : "no keys yet");
        return;
    }

    if (ngx_http_tollgate_zone_store(s, fetch->body, fetch->len) == NGX_OK) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "tollgate: key request \"%V\": HTTP %ui, %ud keys "
                      "loaded, %ud skipped: the key set changed", &s->uri,
                      status, report.loaded, report.skipped);
        ngx_http_tollgate_log_skipped(log, "tollgate: key request", &s->uri,
                                      &body, &report);

    } else {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "tollgate: key request \"%V\": HTTP %ui, unchanged",
                      &s->uri, status);
    }

    if (report.private_members_ignored) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "tollgate: key request \"%V\" holds private key "
                      "material (\"d\"); only public keys are used", &s->uri);
    }

    (void) ngx_http_tollgate_zone_pull(held, log);
}


/* the fetch's request is going away: whatever became of the fetch, it ends */

static void
ngx_http_tollgate_fetch_cleanup(void *data)
{
    ngx_http_tollgate_fetch_t  *fetch = data;

    ngx_http_tollgate_held_t  *held;

    if (fetch->deadline.timer_set) {
        ngx_del_timer(&fetch->deadline);
    }

    if (fetch->body) {
        ngx_free(fetch->body);
        fetch->body = NULL;
    }

    held = fetch->held;

    if (held == NULL) {
        return;
    }

    fetch->held = NULL;
    held->fetch = NULL;

    ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                  "tollgate: key request \"%V\" ended with its request",
                  &held->source->uri);

    ngx_http_tollgate_zone_release(held->source);
    ngx_http_tollgate_wake(held);
}


/*
 * A fetch past its deadline: failed, so the keys in use stay and the zone backs
 * off; its waiters go on. Its upstream connection, if it has one, is timed out
 * as if a read had timed out, which ends the subrequest on nginx's own path;
 * whatever still reaches the filters is dropped.
 */

static void
ngx_http_tollgate_fetch_expired(ngx_event_t *ev)
{
    ngx_http_tollgate_fetch_t  *fetch = ev->data;

    ngx_http_tollgate_held_t  *held;

    held = fetch->held;

    if (held == NULL) {
        return;
    }

    fetch->held = NULL;
    fetch->given_up = 1;
    held->fetch = NULL;

    ngx_http_tollgate_zone_fail(held->source);

    ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                  "tollgate: key request \"%V\" failed: it did not finish "
                  "within %T s; %s", &held->source->uri,
                  ngx_http_tollgate_fetch_time(held->source),
                  held->generation ? "the keys in use stay" : "no keys yet");

    ngx_http_tollgate_wake(held);

    ngx_http_tollgate_stop_upstream(fetch->request);
}


/*
 * Ends a fetch's upstream as a read timeout would (nginx's own path: the
 * subrequest ends with a 502 that this module's filters keep to themselves).
 * Not with an error from a filter: ngx_http_output_filter() would mark the
 * client's connection as failed and end the client's request with it.
 */

static void
ngx_http_tollgate_stop_upstream(ngx_http_request_t *sr)
{
    ngx_event_t          *rev;
    ngx_http_upstream_t  *u;

    u = sr->upstream;

    if (u == NULL || u->peer.connection == NULL) {
        return;
    }

    rev = u->peer.connection->read;
    rev->timedout = 1;

    if (rev->timer_set) {
        ngx_del_timer(rev);
    }

    ngx_post_event(rev, &ngx_posted_events);
}


/*
 * Pauses the request in the rewrite phase until "held"'s fetch ends, or (with
 * no fetch from this worker to wait for) until the next look at the zone, for
 * at most NGX_HTTP_TOLLGATE_KEY_WAIT in all.
 */

static ngx_int_t
ngx_http_tollgate_wait(ngx_http_request_t *r, ngx_http_tollgate_ctx_t *ctx,
    ngx_http_tollgate_held_t *held, ngx_uint_t early)
{
    ngx_msec_t                   timer;
    ngx_http_tollgate_waiter_t  *w;

    w = ngx_http_tollgate_waiter(r, ctx);
    if (w == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (early) {
        w->early = 1;
    }

    if ((ngx_msec_int_t) (w->deadline - ngx_current_msec) <= 0) {
        w->gave_up = 1;
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "tollgate: waited %ui ms for keys",
                      (ngx_uint_t) NGX_HTTP_TOLLGATE_KEY_WAIT);
        return NGX_DECLINED;
    }

    timer = w->deadline - ngx_current_msec;

    if (held) {
        ngx_queue_insert_tail(&held->waiters, &w->queue);
        w->queued = 1;

    } else {
        timer = ngx_min(timer, NGX_HTTP_TOLLGATE_KEY_POLL);
    }

    ngx_add_timer(&w->event, timer);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "tollgate: waiting for keys, %M ms", timer);

    /* only this module's event resumes it; a closed connection ends it */

    r->write_event_handler = ngx_http_request_empty_handler;

    if (r == r->main) {
        r->read_event_handler = ngx_http_test_reading;
    }

    return NGX_DONE;
}


static ngx_http_tollgate_waiter_t *
ngx_http_tollgate_waiter(ngx_http_request_t *r, ngx_http_tollgate_ctx_t *ctx)
{
    ngx_pool_cleanup_t          *cln;
    ngx_http_tollgate_waiter_t  *w;

    if (ctx->waiter) {
        return ctx->waiter;
    }

    w = ngx_pcalloc(r->pool, sizeof(ngx_http_tollgate_waiter_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (w == NULL || cln == NULL) {
        return NULL;
    }

    w->request = r;
    w->deadline = ngx_current_msec + NGX_HTTP_TOLLGATE_KEY_WAIT;

    w->event.handler = ngx_http_tollgate_resume;
    w->event.data = w;
    w->event.log = r->connection->log;

    cln->handler = ngx_http_tollgate_waiter_cleanup;
    cln->data = w;

    ctx->waiter = w;

    return w;
}


/* posts the events of the requests waiting on "held"'s fetch */

static void
ngx_http_tollgate_wake(ngx_http_tollgate_held_t *held)
{
    ngx_queue_t                 *q;
    ngx_http_tollgate_waiter_t  *w;

    while (!ngx_queue_empty(&held->waiters)) {
        q = ngx_queue_head(&held->waiters);
        w = ngx_queue_data(q, ngx_http_tollgate_waiter_t, queue);

        ngx_queue_remove(q);
        w->queued = 0;

        if (w->event.timer_set) {
            ngx_del_timer(&w->event);
        }

        ngx_post_event(&w->event, &ngx_posted_events);
    }
}


/* a waiter's event: its fetch ended, or its timer fired; run its phases on */

static void
ngx_http_tollgate_resume(ngx_event_t *ev)
{
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_tollgate_waiter_t  *w;

    w = ev->data;
    r = w->request;
    c = r->connection;

    if (w->queued) {
        ngx_queue_remove(&w->queue);
        w->queued = 0;
    }

    if (ev->timer_set) {
        ngx_del_timer(ev);
    }

    ev->timedout = 0;

    ngx_http_set_log_request(c->log, r);

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0, "tollgate: keys wait over");

    if (r == r->main) {
        r->read_event_handler = ngx_http_block_reading;
    }

    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
    ngx_http_run_posted_requests(c);
}


/* a waiter's request is going away: nothing may wake it after */

static void
ngx_http_tollgate_waiter_cleanup(void *data)
{
    ngx_http_tollgate_waiter_t  *w = data;

    if (w->queued) {
        ngx_queue_remove(&w->queue);
        w->queued = 0;
    }

    if (w->event.timer_set) {
        ngx_del_timer(&w->event);
    }

    if (w->event.posted) {
        ngx_delete_posted_event(&w->event);
    }
}


/* Retry-After for a 503: the soonest any of the key requests may be tried */

time_t
ngx_http_tollgate_retry_after(ngx_http_tollgate_verifier_t *v)
{
    time_t                        t, min;
    ngx_uint_t                    i;
    ngx_http_tollgate_source_t  **s;

    s = v->sources->elts;
    min = ngx_http_tollgate_zone_retry_after(s[0]);

    for (i = 1; i < v->sources->nelts; i++) {
        t = ngx_http_tollgate_zone_retry_after(s[i]);
        min = ngx_min(min, t);
    }

    return min;
}


/* a fetch's response header: its status only; nothing goes to the client */

static ngx_int_t
ngx_http_tollgate_header_filter(ngx_http_request_t *r)
{
    ngx_http_tollgate_fetch_t  *fetch;

    if (!ngx_http_tollgate_is_fetch(r)) {
        return ngx_http_next_header_filter(r);
    }

    fetch = r->post_subrequest->data;

    if (fetch->given_up) {
        return NGX_OK;
    }

    fetch->status = r->headers_out.status;

    if (r->upstream && !r->upstream->cacheable) {
        /*
         * Unbuffered, each read reaches the body filter, which stops the
         * upstream past the limit; buffered, nginx could first read a body of
         * any length into a temporary file. A response for proxy_cache is
         * buffered: the cache needs it whole.
         */
        r->upstream->buffering = 0;
    }

    if (r->headers_out.content_length_n > NGX_HTTP_TOLLGATE_MAX_JWKS) {
        fetch->too_large = 1;
        ngx_http_tollgate_stop_upstream(r);
    }

    return NGX_OK;
}


/*
 * A fetch's response body: kept up to the limit, in memory or read back from a
 * temporary file; past the limit (or past its deadline) its upstream is stopped
 * and the rest dropped. Never an error: see ngx_http_tollgate_stop_upstream().
 */

static ngx_int_t
ngx_http_tollgate_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    off_t                       size;
    ssize_t                     n;
    ngx_buf_t                  *b;
    ngx_chain_t                *cl;
    ngx_http_tollgate_fetch_t  *fetch;

    if (!ngx_http_tollgate_is_fetch(r)) {
        return ngx_http_next_body_filter(r, in);
    }

    fetch = r->post_subrequest->data;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;
        size = ngx_buf_size(b);

        if (size && !fetch->too_large && !fetch->given_up) {

            if (size > (off_t) (NGX_HTTP_TOLLGATE_MAX_JWKS - fetch->len)) {
                fetch->too_large = 1;
                ngx_http_tollgate_stop_upstream(r);

            } else {
                if (fetch->body == NULL) {
                    fetch->body = ngx_alloc(NGX_HTTP_TOLLGATE_MAX_JWKS,
                                            r->connection->log);
                }

                n = -1;

                if (fetch->body && ngx_buf_in_memory(b)) {
                    ngx_memcpy(fetch->body + fetch->len, b->pos, size);
                    n = size;

                } else if (fetch->body) {
                    n = ngx_read_file(b->file, fetch->body + fetch->len,
                                      (size_t) size, b->file_pos);
                }

                if (n != (ssize_t) size) {
                    /* failed as a response cut short */
                    fetch->given_up = 1;
                    ngx_http_tollgate_stop_upstream(r);

                } else {
                    fetch->len += (size_t) size;
                }
            }
        }

        if (ngx_buf_in_memory(b)) {
            b->pos = b->last;
        }

        if (b->in_file) {
            b->file_pos = b->file_last;
        }

        if (b->last_buf || b->last_in_chain) {
            fetch->complete = 1;
        }
    }

    return NGX_OK;
}
