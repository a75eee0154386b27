/* The rules of the API: NULL, zero lengths, oversize input, buffers, statuses, claims. */
#include "common.h"

#define NOW 1750000000

static const char *dir;

static void null_arguments_give_a_status(tollgate_verifier *v, void *scratch) {
    const char *t = "a.b.c";
    const tollgate_claims *claims = NULL;
    CHECK_STATUS(tollgate_verify(NULL, STR(t), NOW, scratch, TOLLGATE_SCRATCH_SIZE, &claims), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(tollgate_verify(v, NULL, 5, NOW, scratch, TOLLGATE_SCRATCH_SIZE, &claims), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(tollgate_verify(v, STR(t), NOW, NULL, TOLLGATE_SCRATCH_SIZE, &claims), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK(claims == NULL);
    CHECK_STATUS(tollgate_keyset_new(NULL), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(tollgate_keyset_add_jwks(NULL, STR("{}"), NULL), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(tollgate_policy_set_issuer(NULL, STR("x")), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(tollgate_verifier_new(NULL, NULL, NULL), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK(tollgate_keyset_len(NULL) == 0);
    CHECK(tollgate_claims_count(NULL) == 0);
    CHECK(tollgate_claims_aud_count(NULL) == 0);
    const uint8_t *p;
    size_t n;
    CHECK_STATUS(tollgate_claims_sub(NULL, &p, &n), TOLLGATE_STATUS_NULL_ARGUMENT);
    /* _free(NULL) does nothing. */
    tollgate_keyset_free(NULL);
    tollgate_policy_free(NULL);
    tollgate_verifier_free(NULL);
}

static void lengths_and_scratch_are_checked(tollgate_verifier *v, void *scratch) {
    CHECK_STATUS(tollgate_verify(v, (const uint8_t *)"", 0, NOW, scratch, TOLLGATE_SCRATCH_SIZE, NULL), TOLLGATE_STATUS_MALFORMED);
    CHECK_STATUS(tollgate_verify(v, STR("x.y.z"), NOW, scratch, TOLLGATE_SCRATCH_SIZE - 1, NULL), TOLLGATE_STATUS_BUFFER_TOO_SMALL);
    CHECK_STATUS(tollgate_verify(v, STR("x.y.z"), NOW, (char *)scratch + 1, TOLLGATE_SCRATCH_SIZE, NULL), TOLLGATE_STATUS_MISALIGNED);
    size_t big = 200000;
    char *huge = malloc(big);
    memset(huge, 'A', big);
    huge[10] = '.';
    huge[20] = '.';
    CHECK_STATUS(tollgate_verify(v, (const uint8_t *)huge, big, NOW, scratch, TOLLGATE_SCRATCH_SIZE, NULL), TOLLGATE_STATUS_TOO_LARGE);
    free(huge);
    /* A length past what memory can hold is refused before the pointer is used. */
    CHECK_STATUS(tollgate_verify(v, (const uint8_t *)"x", SIZE_MAX, NOW, scratch, TOLLGATE_SCRATCH_SIZE, NULL), TOLLGATE_STATUS_INVALID_ARGUMENT);
}

static void statuses_explain_themselves(void) {
    CHECK(strcmp(tollgate_status_name(TOLLGATE_STATUS_EXPIRED), "expired") == 0);
    CHECK(strcmp(tollgate_status_str(TOLLGATE_STATUS_EXPIRED), "token has expired") == 0);
    CHECK(strcmp(tollgate_status_name(TOLLGATE_STATUS_JWKS_WEAK_KEY), "jwks_weak_key") == 0);
    CHECK(strcmp(tollgate_status_name(TOLLGATE_STATUS_NULL_ARGUMENT), "null_argument") == 0);
    CHECK(strcmp(tollgate_status_error_code(TOLLGATE_STATUS_EXPIRED), "invalid_token") == 0);
    CHECK(strcmp(tollgate_status_error_code(TOLLGATE_STATUS_INSUFFICIENT_SCOPE), "insufficient_scope") == 0);
    CHECK(strcmp(tollgate_status_error_code(TOLLGATE_STATUS_OK), "") == 0);
    CHECK(tollgate_status_http_status(TOLLGATE_STATUS_OK) == 200);
    CHECK(tollgate_status_http_status(TOLLGATE_STATUS_BAD_SIGNATURE) == 401);
    CHECK(tollgate_status_http_status(TOLLGATE_STATUS_INSUFFICIENT_SCOPE) == 403);
    CHECK(tollgate_status_http_status(TOLLGATE_STATUS_JWKS_JSON) == 500);
    /* A number that is no status still gets a string. */
    CHECK(strcmp(tollgate_status_name((tollgate_status)4242), "internal_error") == 0);
    CHECK(strlen(tollgate_version()) > 0);
}

static void jwks_errors_are_reported_and_leave_the_set_unchanged(void) {
    tollgate_keyset *keys = load_keys(dir, "test.jwks");
    CHECK(tollgate_keyset_len(keys) == 9); /* test.jwks: 2 EdDSA, 1 HS256, 6 RSA */
    const char *bad = "{\"keys\":[{\"kty\":\"RSA\"},{\"kty\":\"oct\",\"alg\":\"EdDSA\",\"k\":\"AAAA\"}]}";
    tollgate_jwks_report report;
    CHECK_STATUS(tollgate_keyset_add_jwks(keys, STR(bad), &report), TOLLGATE_STATUS_JWKS_ALGORITHM_MISMATCH);
    CHECK(report.error_key_index == 1);
    CHECK(tollgate_keyset_len(keys) == 9); /* test.jwks: 2 EdDSA, 1 HS256, 6 RSA */
    CHECK_STATUS(tollgate_keyset_add_jwks(keys, STR("not json"), &report), TOLLGATE_STATUS_JWKS_JSON);
    CHECK(report.error_key_index == -1);
    tollgate_keyset_free(keys);

    tollgate_keyset *fresh = NULL;
    CHECK_STATUS(tollgate_keyset_new(&fresh), TOLLGATE_STATUS_OK);
    const char *with_private = "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
                               "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\","
                               "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"},{\"kty\":\"EC\"}]}";
    CHECK_STATUS(tollgate_keyset_add_jwks(fresh, STR(with_private), &report), TOLLGATE_STATUS_OK);
    CHECK(report.loaded == 1 && report.skipped == 1 && report.private_members_ignored == 1 && report.error_key_index == -1);
    /* A verifier over no keys is refused. */
    tollgate_keyset *empty = NULL;
    tollgate_policy *policy = policy_from("-");
    tollgate_verifier *v = NULL;
    CHECK_STATUS(tollgate_keyset_new(&empty), TOLLGATE_STATUS_OK);
    CHECK_STATUS(tollgate_verifier_new(empty, policy, &v), TOLLGATE_STATUS_JWKS_NO_USABLE_KEY);
    CHECK(v == NULL);
    tollgate_keyset_free(empty);
    tollgate_keyset_free(fresh);
    tollgate_policy_free(policy);
}

static void policy_errors_keep_the_policy(void) {
    tollgate_policy *policy = policy_from("-");
    CHECK_STATUS(tollgate_policy_set_leeway(policy, 301), TOLLGATE_STATUS_POLICY_LEEWAY_TOO_LARGE);
    CHECK_STATUS(tollgate_policy_add_scope(policy, STR("two words")), TOLLGATE_STATUS_POLICY_INVALID_VALUE);
    CHECK_STATUS(tollgate_policy_set_issuer(policy, STR("")), TOLLGATE_STATUS_POLICY_INVALID_VALUE);
    CHECK_STATUS(tollgate_policy_set_issuer(policy, (const uint8_t *)"\xff", 1), TOLLGATE_STATUS_INVALID_UTF8);
    for (int i = 0; i < 8; i++) {
        CHECK_STATUS(tollgate_policy_add_audience(policy, STR("api")), TOLLGATE_STATUS_OK);
    }
    CHECK_STATUS(tollgate_policy_add_audience(policy, STR("api")), TOLLGATE_STATUS_POLICY_TOO_MANY);
    tollgate_policy_free(policy);
}

static void claims_read_back(tollgate_verifier *v, void *scratch) {
    char *token = vector_token(dir, "rfc9068_eddsa_access_token");
    const tollgate_claims *c = NULL;
    CHECK_STATUS(tollgate_verify(v, STR(token), NOW, scratch, TOLLGATE_SCRATCH_SIZE, &c), TOLLGATE_STATUS_OK);
    CHECK(c == scratch);
    const uint8_t *p;
    size_t n;
    int64_t date;
    CHECK_STATUS(tollgate_claims_sub(c, &p, &n), TOLLGATE_STATUS_OK);
    CHECK(slice_is(p, n, "client-1"));
    CHECK_STATUS(tollgate_claims_iss(c, &p, &n), TOLLGATE_STATUS_OK);
    CHECK(slice_is(p, n, "https://issuer.example"));
    CHECK_STATUS(tollgate_claims_client_id(c, &p, &n), TOLLGATE_STATUS_OK);
    CHECK(slice_is(p, n, "client-1"));
    CHECK_STATUS(tollgate_claims_scope(c, &p, &n), TOLLGATE_STATUS_OK);
    CHECK(slice_is(p, n, "items:read items:write"));
    CHECK_STATUS(tollgate_claims_jti(c, &p, &n), TOLLGATE_STATUS_OK);
    CHECK_STATUS(tollgate_claims_kid(c, &p, &n), TOLLGATE_STATUS_OK);
    CHECK(slice_is(p, n, "ed1"));
    CHECK_STATUS(tollgate_claims_typ(c, &p, &n), TOLLGATE_STATUS_OK);
    CHECK(slice_is(p, n, "at+jwt"));
    CHECK_STATUS(tollgate_claims_alg(c, &p, &n), TOLLGATE_STATUS_OK);
    CHECK(slice_is(p, n, "EdDSA"));
    CHECK_STATUS(tollgate_claims_exp(c, &date), TOLLGATE_STATUS_OK);
    CHECK(date == NOW + 290);
    CHECK_STATUS(tollgate_claims_iat(c, &date), TOLLGATE_STATUS_OK);
    CHECK(date == NOW - 10);
    date = 7;
    CHECK_STATUS(tollgate_claims_nbf(c, &date), TOLLGATE_STATUS_NOT_FOUND);
    CHECK(date == 7); /* out-parameters are written only on success */
    CHECK(tollgate_claims_aud_count(c) == 1);
    CHECK_STATUS(tollgate_claims_aud(c, 0, &p, &n), TOLLGATE_STATUS_OK);
    CHECK(slice_is(p, n, "api://items"));
    CHECK_STATUS(tollgate_claims_aud(c, 1, &p, &n), TOLLGATE_STATUS_NOT_FOUND);

    tollgate_value val;
    CHECK_STATUS(tollgate_claims_get(c, STR("exp"), &val), TOLLGATE_STATUS_OK);
    CHECK(val.kind == TOLLGATE_JSON_KIND_NUMBER && val.text == NULL && slice_is(val.raw, val.raw_len, "1750000290"));
    CHECK_STATUS(tollgate_claims_get(c, STR("nope"), &val), TOLLGATE_STATUS_NOT_FOUND);
    CHECK_STATUS(tollgate_claims_header(c, STR("kid"), &val), TOLLGATE_STATUS_OK);
    CHECK(val.kind == TOLLGATE_JSON_KIND_STRING && slice_is(val.text, val.text_len, "ed1"));

    size_t need = 0;
    CHECK_STATUS(tollgate_claims_text(c, STR("scope"), NULL, 0, &need), TOLLGATE_STATUS_OK);
    CHECK(need == strlen("items:read items:write"));
    uint8_t small[4];
    size_t written = 99;
    CHECK_STATUS(tollgate_claims_text(c, STR("scope"), small, sizeof small, &written), TOLLGATE_STATUS_BUFFER_TOO_SMALL);
    CHECK(written == 99);
    uint8_t buf[64];
    CHECK_STATUS(tollgate_claims_text(c, STR("scope"), buf, sizeof buf, &written), TOLLGATE_STATUS_OK);
    CHECK(slice_is(buf, written, "items:read items:write"));
    CHECK_STATUS(tollgate_claims_header_text(c, STR("typ"), buf, sizeof buf, &written), TOLLGATE_STATUS_OK);
    CHECK(slice_is(buf, written, "at+jwt"));

    CHECK(tollgate_claims_count(c) == 8);
    CHECK_STATUS(tollgate_claims_at(c, 0, &p, &n, &val), TOLLGATE_STATUS_OK);
    CHECK(slice_is(p, n, "iss"));
    CHECK_STATUS(tollgate_claims_at(c, 8, &p, &n, &val), TOLLGATE_STATUS_NOT_FOUND);
    CHECK_STATUS(tollgate_claims_payload_json(c, &p, &n), TOLLGATE_STATUS_OK);
    CHECK(n > 100 && p[0] == '{');

    /* A rejected token leaves no claims behind, even in the same scratch. */
    char *forged = vector_token(dir, "signed_by_unpublished_key");
    CHECK_STATUS(tollgate_verify(v, STR(forged), NOW, scratch, TOLLGATE_SCRATCH_SIZE, NULL), TOLLGATE_STATUS_BAD_SIGNATURE);
    CHECK_STATUS(tollgate_claims_sub(c, &p, &n), TOLLGATE_STATUS_NO_CLAIMS);
    CHECK(tollgate_claims_count(c) == 0);
    free(forged);
    free(token);
}

static void arrays_render_joined_with_commas(void) {
    tollgate_verifier *v = standard_verifier(dir);
    char *token = vector_token(dir, "audience_in_array");
    void *scratch = new_scratch();
    const tollgate_claims *c = NULL;
    CHECK_STATUS(tollgate_verify(v, STR(token), NOW, scratch, TOLLGATE_SCRATCH_SIZE, &c), TOLLGATE_STATUS_OK);
    uint8_t buf[64];
    size_t n = 0;
    CHECK_STATUS(tollgate_claims_text(c, STR("aud"), buf, sizeof buf, &n), TOLLGATE_STATUS_OK);
    CHECK(slice_is(buf, n, "other,api://items"));
    CHECK(tollgate_claims_aud_count(c) == 2);
    free(scratch);
    free(token);
    tollgate_verifier_free(v);
}

static void a_cache_answers_repeated_tokens_and_still_expires(tollgate_verifier *v, void *scratch) {
    char *token = vector_token(dir, "rfc9068_hs256_access_token");
    tollgate_cache *cache = NULL;
    CHECK_STATUS(tollgate_cache_new(v, 0, &cache), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_cache_new(v, TOLLGATE_CACHE_MAX_SLOTS + 1, &cache), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_cache_new(NULL, 4, &cache), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK(cache == NULL);
    CHECK_STATUS(tollgate_cache_new(v, 4, &cache), TOLLGATE_STATUS_OK);
    for (int i = 0; i < 3; i++) {
        const tollgate_claims *c = NULL;
        CHECK_STATUS(tollgate_verify_cached(cache, STR(token), NOW, scratch, TOLLGATE_SCRATCH_SIZE, &c), TOLLGATE_STATUS_OK);
        const uint8_t *p;
        size_t n;
        CHECK_STATUS(tollgate_claims_sub(c, &p, &n), TOLLGATE_STATUS_OK);
        CHECK(slice_is(p, n, "client-1"));
    }
    CHECK_STATUS(tollgate_verify_cached(cache, STR(token), NOW + 290, scratch, TOLLGATE_SCRATCH_SIZE, NULL), TOLLGATE_STATUS_EXPIRED);
    char *forged = vector_token(dir, "hs256_wrong_secret");
    CHECK_STATUS(tollgate_verify_cached(cache, STR(forged), NOW, scratch, TOLLGATE_SCRATCH_SIZE, NULL), TOLLGATE_STATUS_BAD_SIGNATURE);
    CHECK_STATUS(tollgate_verify_cached(NULL, STR(token), NOW, scratch, TOLLGATE_SCRATCH_SIZE, NULL), TOLLGATE_STATUS_NULL_ARGUMENT);
    tollgate_cache_free(cache);
    tollgate_cache_free(NULL);
    free(forged);
    free(token);
}

int main(int argc, char **argv) {
    dir = argc > 1 ? argv[1] : "tests/vectors";
    tollgate_verifier *v = standard_verifier(dir);
    void *scratch = new_scratch();
    null_arguments_give_a_status(v, scratch);
    lengths_and_scratch_are_checked(v, scratch);
    statuses_explain_themselves();
    jwks_errors_are_reported_and_leave_the_set_unchanged();
    policy_errors_keep_the_policy();
    claims_read_back(v, scratch);
    arrays_render_joined_with_commas();
    a_cache_answers_repeated_tokens_and_still_expires(v, scratch);
    free(scratch);
    tollgate_verifier_free(v);
    return finish("api");
}
