/* The rules of the API: NULL, zero lengths, oversize input, buffers, statuses, claims. */
#include "common.h"

#include <limits.h>

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
    /* So is a pointer and length that would wrap past the end of the address space, for input
     * and for caller memory alike. */
    const uint8_t *top = (const uint8_t *)(UINTPTR_MAX - 15);
    CHECK_STATUS(tollgate_verify(v, top, 64, NOW, scratch, TOLLGATE_SCRATCH_SIZE, NULL), TOLLGATE_STATUS_INVALID_ARGUMENT);
    void *high = (void *)(UINTPTR_MAX - 4095);
    CHECK_STATUS(tollgate_verify(v, STR("x.y.z"), NOW, high, TOLLGATE_SCRATCH_SIZE, NULL), TOLLGATE_STATUS_INVALID_ARGUMENT);
    tollgate_scratch *prepared = NULL;
    CHECK_STATUS(tollgate_scratch_init(high, TOLLGATE_SCRATCH_SIZE, &prepared), TOLLGATE_STATUS_INVALID_ARGUMENT);
    tollgate_policy *policy = NULL;
    CHECK_STATUS(tollgate_policy_init(high, TOLLGATE_POLICY_SIZE, &policy), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK(prepared == NULL && policy == NULL);
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
    CHECK(strlen(tollgate_version()) > 0);
}

/* The status functions take any int: a number that is no status has a defined answer, and is
 * never cut down to one that is (65537 is 1, MALFORMED, in 16 bits). UBSan watches the calls. */
static void a_number_that_is_no_status_gets_a_defined_answer(void) {
    const int unknown[] = {-1, -2, -206, INT_MIN, 22, 99, 113, 154, 208, 298, 300, 4242,
                           65536, 65537, 65536 + 206, INT_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        int n = unknown[i];
        if (strcmp(tollgate_status_name(n), "unknown_status") != 0) {
            fprintf(stderr, "status %d is named %s\n", n, tollgate_status_name(n));
            failures++;
        }
        CHECK(strcmp(tollgate_status_str(n), "unknown status") == 0);
        CHECK(strcmp(tollgate_status_error_code(n), "") == 0);
        CHECK(tollgate_status_http_status(n) == 500);
    }
    /* Every real number still reads back. */
    CHECK(strcmp(tollgate_status_name(1), "malformed") == 0);
    CHECK(strcmp(tollgate_status_name(299), "internal_error") == 0);
    CHECK(tollgate_status_http_status(19) == 403);
}

/* The token, the verifier and every output must lie outside the scratch: inside it they would
 * be overwritten while they are read. */
static void inputs_and_outputs_inside_the_scratch_are_refused(tollgate_verifier *v) {
    char *token = vector_token(dir, "rfc9068_eddsa_access_token");
    size_t len = strlen(token);
    uint64_t *scratch = new_scratch();
    const tollgate_claims *c = NULL;
    /* The token copied into the scratch, at its start and at its end. */
    memcpy(scratch, token, len);
    CHECK_STATUS(tollgate_verify(v, (const uint8_t *)scratch, len, NOW, scratch, TOLLGATE_SCRATCH_SIZE, &c),
                 TOLLGATE_STATUS_INVALID_ARGUMENT);
    uint8_t *tail = (uint8_t *)scratch + TOLLGATE_SCRATCH_SIZE - len;
    memcpy(tail, token, len);
    CHECK_STATUS(tollgate_verify(v, tail, len, NOW, scratch, TOLLGATE_SCRATCH_SIZE, &c), TOLLGATE_STATUS_INVALID_ARGUMENT);
    /* The claims out-parameter inside the scratch. */
    CHECK_STATUS(tollgate_verify(v, STR(token), NOW, scratch, TOLLGATE_SCRATCH_SIZE, (const tollgate_claims **)&scratch[8]),
                 TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK(c == NULL);
    /* Through a cache too. */
    tollgate_cache *cache = NULL;
    CHECK_STATUS(tollgate_cache_new(v, 2, &cache), TOLLGATE_STATUS_OK);
    memcpy(scratch, token, len);
    CHECK_STATUS(tollgate_verify_cached(cache, (const uint8_t *)scratch, len, NOW, scratch, TOLLGATE_SCRATCH_SIZE, NULL),
                 TOLLGATE_STATUS_INVALID_ARGUMENT);
    tollgate_cache_free(cache);
    /* A token just past the scratch is fine. */
    uint64_t *two = malloc(2 * TOLLGATE_SCRATCH_SIZE);
    memcpy((uint8_t *)two + TOLLGATE_SCRATCH_SIZE, token, len);
    CHECK_STATUS(tollgate_verify(v, (uint8_t *)two + TOLLGATE_SCRATCH_SIZE, len, NOW, two, TOLLGATE_SCRATCH_SIZE, &c),
                 TOLLGATE_STATUS_OK);
    /* Outputs of the claim accessors inside the scratch. */
    const uint8_t **p_in = (const uint8_t **)&two[16];
    size_t n;
    const uint8_t *p;
    CHECK_STATUS(tollgate_claims_sub(c, p_in, &n), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_claims_sub(c, &p, (size_t *)&two[17]), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_claims_text(c, STR("scope"), (uint8_t *)&two[100], 64, &n), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_claims_get(c, STR("sub"), (tollgate_value *)&two[20]), TOLLGATE_STATUS_INVALID_ARGUMENT);
    int64_t *date_in = (int64_t *)&two[30];
    CHECK_STATUS(tollgate_claims_exp(c, date_in), TOLLGATE_STATUS_INVALID_ARGUMENT);
    /* The claims are intact after the refusals. */
    CHECK_STATUS(tollgate_claims_sub(c, &p, &n), TOLLGATE_STATUS_OK);
    CHECK(slice_is(p, n, "client-1"));
    free(two);
    free(scratch);
    free(token);
}

/* Scratch prepared once serves any number of verifications, each leaving only its own claims. */
static void prepared_scratch_is_reused_across_verifications(tollgate_verifier *v) {
    char *token = vector_token(dir, "rfc9068_eddsa_access_token");
    char *forged = vector_token(dir, "signed_by_unpublished_key");
    uint64_t *mem = new_scratch();
    tollgate_scratch *scratch = NULL;
    CHECK_STATUS(tollgate_scratch_init(NULL, TOLLGATE_SCRATCH_SIZE, &scratch), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(tollgate_scratch_init(mem, TOLLGATE_SCRATCH_SIZE - 1, &scratch), TOLLGATE_STATUS_BUFFER_TOO_SMALL);
    CHECK_STATUS(tollgate_scratch_init((char *)mem + 1, TOLLGATE_SCRATCH_SIZE - 1, &scratch), TOLLGATE_STATUS_BUFFER_TOO_SMALL);
    CHECK_STATUS(tollgate_scratch_init(mem, TOLLGATE_SCRATCH_SIZE, NULL), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(tollgate_scratch_init(mem, TOLLGATE_SCRATCH_SIZE, (tollgate_scratch **)&mem[4]), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK(scratch == NULL);
    CHECK_STATUS(tollgate_scratch_init(mem, TOLLGATE_SCRATCH_SIZE, &scratch), TOLLGATE_STATUS_OK);
    CHECK((void *)scratch == (void *)mem);

    tollgate_cache *cache = NULL;
    CHECK_STATUS(tollgate_cache_new(v, 2, &cache), TOLLGATE_STATUS_OK);
    const tollgate_claims *c = NULL;
    const uint8_t *p;
    size_t n;
    for (int i = 0; i < 3; i++) {
        CHECK_STATUS(tollgate_verify_in(v, STR(token), NOW, scratch, &c), TOLLGATE_STATUS_OK);
        CHECK((void *)c == (void *)scratch);
        CHECK_STATUS(tollgate_claims_sub(c, &p, &n), TOLLGATE_STATUS_OK);
        CHECK(slice_is(p, n, "client-1"));
        CHECK_STATUS(tollgate_verify_in(v, STR(forged), NOW, scratch, NULL), TOLLGATE_STATUS_BAD_SIGNATURE);
        CHECK_STATUS(tollgate_claims_sub(c, &p, &n), TOLLGATE_STATUS_NO_CLAIMS);
        CHECK_STATUS(tollgate_verify_cached_in(cache, STR(token), NOW, scratch, &c), TOLLGATE_STATUS_OK);
        CHECK(tollgate_claims_count(c) == 8);
    }
    CHECK_STATUS(tollgate_verify_cached_in(cache, STR(token), NOW + 290, scratch, &c), TOLLGATE_STATUS_EXPIRED);
    /* The same rules as raw scratch: NULL, misaligned, and arguments inside it. */
    CHECK_STATUS(tollgate_verify_in(v, STR(token), NOW, NULL, &c), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(tollgate_verify_in(v, STR(token), NOW, (tollgate_scratch *)((char *)mem + 4), &c), TOLLGATE_STATUS_MISALIGNED);
    memcpy(&mem[100], token, strlen(token));
    CHECK_STATUS(tollgate_verify_in(v, (const uint8_t *)&mem[100], strlen(token), NOW, scratch, &c), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_verify_cached_in(cache, STR(token), NOW, scratch, (const tollgate_claims **)&mem[2]), TOLLGATE_STATUS_INVALID_ARGUMENT);
    tollgate_cache_free(cache);
    free(mem);
    free(forged);
    free(token);
}

/* Scratch fresh from malloc, never written: its contents do not matter (valgrind, which runs
 * the nginx suite, would see a read of uninitialised memory). */
static void scratch_fresh_from_malloc_is_fine(tollgate_verifier *v) {
    char *token = vector_token(dir, "rfc9068_eddsa_access_token");
    for (int i = 0; i < 4; i++) {
        void *scratch = new_scratch();
        const tollgate_claims *c = NULL;
        CHECK_STATUS(tollgate_verify(v, STR(token), NOW, scratch, TOLLGATE_SCRATCH_SIZE, &c), TOLLGATE_STATUS_OK);
        CHECK(tollgate_claims_count(c) == 8);
        free(scratch);
        scratch = new_scratch();
        CHECK_STATUS(tollgate_verify(v, STR("a.b.c"), NOW, scratch, TOLLGATE_SCRATCH_SIZE, &c), TOLLGATE_STATUS_BASE64);
        CHECK(tollgate_claims_count(scratch) == 0);
        free(scratch);
    }
    free(token);
}

static void jwks_errors_are_reported_and_leave_the_set_unchanged(void) {
    tollgate_keyset *keys = load_keys(dir, "test.jwks");
    CHECK(tollgate_keyset_len(keys) == 9); /* test.jwks: 2 EdDSA, 1 HS256, 6 RSA */
    const char *bad = "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"rsa-9\"},{\"kty\":\"oct\",\"alg\":\"EdDSA\",\"k\":\"AAAA\"}]}";
    tollgate_jwks_report report;
    CHECK_STATUS(tollgate_keyset_add_jwks(keys, STR(bad), &report), TOLLGATE_STATUS_JWKS_ALGORITHM_MISMATCH);
    CHECK(report.error_key_index == 1);
    /* What was skipped before the error is named, with why. */
    CHECK(report.skipped == 1 && report.skipped_listed == 1);
    CHECK(report.skipped_keys[0].key_index == 0);
    CHECK(report.skipped_keys[0].reason == TOLLGATE_STATUS_JWKS_SKIP_MISSING_MEMBER);
    /* ...and its kid can be read back from the text that was loaded, for a log line. */
    const uint8_t *kid = NULL;
    size_t kid_len = 0;
    CHECK_STATUS(tollgate_jwks_kid(STR(bad), report.skipped_keys[0].key_index, &kid, &kid_len), TOLLGATE_STATUS_OK);
    CHECK(kid == (const uint8_t *)strstr(bad, "rsa-9") && slice_is(kid, kid_len, "rsa-9"));
    CHECK_STATUS(tollgate_jwks_kid(STR(bad), 1, &kid, &kid_len), TOLLGATE_STATUS_NOT_FOUND); /* no kid */
    CHECK_STATUS(tollgate_jwks_kid(STR(bad), 2, &kid, &kid_len), TOLLGATE_STATUS_NOT_FOUND); /* no key */
    CHECK_STATUS(tollgate_jwks_kid(STR("not json"), 0, &kid, &kid_len), TOLLGATE_STATUS_NOT_FOUND);
    CHECK_STATUS(tollgate_jwks_kid(NULL, 0, 0, &kid, &kid_len), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(tollgate_jwks_kid(STR(bad), 0, NULL, &kid_len), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK(kid == (const uint8_t *)strstr(bad, "rsa-9") && kid_len == 5); /* nothing written on failure */
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
    CHECK(report.skipped_listed == 1 && report.skipped_keys[0].key_index == 1);
    CHECK(strcmp(tollgate_status_name(report.skipped_keys[0].reason), "jwks_skip_missing_member") == 0);
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
    a_number_that_is_no_status_gets_a_defined_answer();
    inputs_and_outputs_inside_the_scratch_are_refused(v);
    scratch_fresh_from_malloc_is_fine(v);
    prepared_scratch_is_reused_across_verifications(v);
    jwks_errors_are_reported_and_leave_the_set_unchanged();
    policy_errors_keep_the_policy();
    claims_read_back(v, scratch);
    arrays_render_joined_with_commas();
    a_cache_answers_repeated_tokens_and_still_expires(v, scratch);
    free(scratch);
    tollgate_verifier_free(v);
    return finish("api");
}
