/* Arguments that overlap what a call writes, or what it holds while it writes, are refused
 * (TOLLGATE_STATUS_INVALID_ARGUMENT) and nothing is written: a write there would corrupt a
 * handle that is still in use, or hand back a pointer another output overwrote. Memory
 * passed as a prepared scratch must come from tollgate_scratch_init. */
#include "common.h"

#define NOW 1750000000

static const char *dir;

/* Caller memory for a handle: the documented size, aligned, and zeroed so a refusal can be
 * seen to have written nothing. */
static uint64_t *zeroed(size_t size) {
    uint64_t *mem = calloc(1, size);
    if (!mem) {
        exit(2);
    }
    return mem;
}

static int all_zero(const void *mem, size_t size) {
    const unsigned char *p = mem;
    for (size_t i = 0; i < size; i++) {
        if (p[i]) {
            return 0;
        }
    }
    return 1;
}

/* The out-parameter of an _init inside the memory the handle is built in. */
static void an_init_out_parameter_inside_its_memory_is_refused(void) {
    tollgate_keyset *keys = load_keys(dir, "test.jwks");
    tollgate_policy *policy = policy_from("aud=api://items");

    uint64_t *mem = zeroed(TOLLGATE_VERIFIER_SIZE);
    tollgate_verifier **inside = (tollgate_verifier **)&mem[3];
    CHECK_STATUS(tollgate_verifier_init(mem, TOLLGATE_VERIFIER_SIZE, keys, policy, inside), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK(all_zero(mem, TOLLGATE_VERIFIER_SIZE));
    inside = (tollgate_verifier **)&mem[TOLLGATE_VERIFIER_SIZE / 8 - 1];
    CHECK_STATUS(tollgate_verifier_init(mem, TOLLGATE_VERIFIER_SIZE, keys, policy, inside), TOLLGATE_STATUS_INVALID_ARGUMENT);
    free(mem);

    mem = zeroed(TOLLGATE_KEYSET_SIZE);
    CHECK_STATUS(tollgate_keyset_init(mem, TOLLGATE_KEYSET_SIZE, (tollgate_keyset **)mem), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK(all_zero(mem, TOLLGATE_KEYSET_SIZE));
    free(mem);

    mem = zeroed(TOLLGATE_POLICY_SIZE);
    CHECK_STATUS(tollgate_policy_init(mem, TOLLGATE_POLICY_SIZE, (tollgate_policy **)&mem[1]), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK(all_zero(mem, TOLLGATE_POLICY_SIZE));
    free(mem);

    /* Just past the memory is fine: the boundary is exact. */
    mem = zeroed(TOLLGATE_VERIFIER_SIZE + 8);
    tollgate_verifier *v = NULL;
    tollgate_verifier **after = (tollgate_verifier **)&mem[TOLLGATE_VERIFIER_SIZE / 8];
    CHECK_STATUS(tollgate_verifier_init(mem, TOLLGATE_VERIFIER_SIZE, keys, policy, after), TOLLGATE_STATUS_OK);
    v = *after;
    CHECK((void *)v == (void *)mem);
    tollgate_verifier_free(v);
    free(mem);

    tollgate_policy_free(policy);
    tollgate_keyset_free(keys);
}

/* A verifier built over the key set or policy it is built from. */
static void a_verifier_built_over_its_own_inputs_is_refused(void) {
    uint64_t *mem = zeroed(TOLLGATE_VERIFIER_SIZE);
    tollgate_keyset *keys = NULL;
    CHECK_STATUS(tollgate_keyset_init(mem, TOLLGATE_KEYSET_SIZE, &keys), TOLLGATE_STATUS_OK);
    size_t len;
    char *jwks = read_file(dir, "test.jwks", &len);
    CHECK_STATUS(tollgate_keyset_add_jwks(keys, (const uint8_t *)jwks, len, NULL), TOLLGATE_STATUS_OK);
    free(jwks);
    size_t loaded = tollgate_keyset_len(keys);
    CHECK(loaded > 0);
    tollgate_policy *policy = policy_from("aud=api://items");
    tollgate_verifier *v = NULL;
    CHECK_STATUS(tollgate_verifier_init(mem, TOLLGATE_VERIFIER_SIZE, keys, policy, &v), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK(v == NULL);
    CHECK(tollgate_keyset_len(keys) == loaded);
    tollgate_policy_free(policy);
    tollgate_keyset_free(keys);
    free(mem);

    /* The policy at the end of the memory: the verifier is filled after it is placed, so a
     * policy there would be read back as the empty verifier's defaults. */
    keys = load_keys(dir, "test.jwks");
    mem = zeroed(TOLLGATE_VERIFIER_SIZE);
    uint64_t *tail = &mem[(TOLLGATE_VERIFIER_SIZE - TOLLGATE_POLICY_SIZE) / 8];
    policy = NULL;
    CHECK_STATUS(tollgate_policy_init(tail, TOLLGATE_POLICY_SIZE, &policy), TOLLGATE_STATUS_OK);
    CHECK_STATUS(tollgate_policy_set_issuer(policy, STR("https://issuer.example")), TOLLGATE_STATUS_OK);
    CHECK_STATUS(tollgate_verifier_init(mem, TOLLGATE_VERIFIER_SIZE, keys, policy, &v), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK(v == NULL);
    tollgate_policy_free(policy);
    tollgate_keyset_free(keys);
    free(mem);
}

/* A JWKS report, or the JWKS text, inside the key set being changed. */
static void a_key_set_is_not_written_through_its_own_arguments(void) {
    tollgate_keyset *keys = NULL;
    CHECK_STATUS(tollgate_keyset_new(&keys), TOLLGATE_STATUS_OK);
    size_t len;
    char *jwks = read_file(dir, "test.jwks", &len);
    CHECK_STATUS(tollgate_keyset_add_jwks(keys, (const uint8_t *)jwks, len, (tollgate_jwks_report *)keys),
                 TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK(tollgate_keyset_len(keys) == 0);
    CHECK_STATUS(tollgate_keyset_add_jwks(keys, (const uint8_t *)keys, 16, NULL), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK(tollgate_keyset_len(keys) == 0);
    tollgate_jwks_report report;
    CHECK_STATUS(tollgate_keyset_add_jwks(keys, (const uint8_t *)jwks, len, &report), TOLLGATE_STATUS_OK);
    CHECK(report.loaded > 0 && report.loaded == tollgate_keyset_len(keys));
    free(jwks);
    tollgate_keyset_free(keys);
}

/* A policy value read from the policy it changes. */
static void a_policy_value_inside_the_policy_is_refused(void) {
    tollgate_policy *policy = policy_from("-");
    CHECK_STATUS(tollgate_policy_set_issuer(policy, (const uint8_t *)policy, 4), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_policy_add_audience(policy, (const uint8_t *)policy + 8, 1), TOLLGATE_STATUS_INVALID_ARGUMENT);
    tollgate_policy_free(policy);
}

/* Out-parameters written into a verifier other threads may be reading. */
static void nothing_is_written_into_a_verifier(void) {
    tollgate_verifier *v = standard_verifier(dir);
    char *token = vector_token(dir, "rfc9068_eddsa_access_token");
    void *scratch = new_scratch();
    CHECK_STATUS(tollgate_verify(v, STR(token), NOW, scratch, TOLLGATE_SCRATCH_SIZE, (const tollgate_claims **)v),
                 TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_cache_new(v, 2, (tollgate_cache **)v), TOLLGATE_STATUS_INVALID_ARGUMENT);
    /* The verifier still verifies. */
    const tollgate_claims *c = NULL;
    CHECK_STATUS(tollgate_verify(v, STR(token), NOW, scratch, TOLLGATE_SCRATCH_SIZE, &c), TOLLGATE_STATUS_OK);
    free(scratch);
    free(token);
    tollgate_verifier_free(v);
}

/* Two out-parameters of one call on the same bytes: the second would overwrite the first. */
static void out_parameters_of_one_call_do_not_overlap(void) {
    tollgate_verifier *v = standard_verifier(dir);
    char *token = vector_token(dir, "rfc9068_eddsa_access_token");
    void *scratch = new_scratch();
    const tollgate_claims *c = NULL;
    CHECK_STATUS(tollgate_verify(v, STR(token), NOW, scratch, TOLLGATE_SCRATCH_SIZE, &c), TOLLGATE_STATUS_OK);
    uint64_t out[8] = {0};
    CHECK_STATUS(tollgate_claims_sub(c, (const uint8_t **)out, (size_t *)out), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_claims_aud(c, 0, (const uint8_t **)&out[1], (size_t *)&out[1]), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_claims_payload_json(c, (const uint8_t **)out, (size_t *)out), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_claims_at(c, 0, (const uint8_t **)out, (size_t *)&out[1], (tollgate_value *)out),
                 TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_claims_text(c, STR("scope"), (uint8_t *)out, sizeof out, (size_t *)&out[2]),
                 TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK(all_zero(out, sizeof out));
    /* A kid's out-parameters inside the JWKS text they point into, or on each other. */
    char jwks[] = "{\"keys\":[{\"kid\":\"k\"}]}                ";
    CHECK_STATUS(tollgate_jwks_kid((const uint8_t *)jwks, sizeof jwks, 0, (const uint8_t **)(void *)(jwks + 24), (size_t *)out),
                 TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_jwks_kid((const uint8_t *)jwks, sizeof jwks, 0, (const uint8_t **)out, (size_t *)out),
                 TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK(all_zero(out, sizeof out));
    CHECK(strncmp(jwks + 24, "        ", 8) == 0);
    /* Side by side is fine. */
    const uint8_t *p;
    size_t n;
    CHECK_STATUS(tollgate_claims_sub(c, &p, &n), TOLLGATE_STATUS_OK);
    CHECK(slice_is(p, n, "client-1"));
    free(scratch);
    free(token);
    tollgate_verifier_free(v);
}

/* Memory that tollgate_scratch_init did not prepare: never written, zeroed, or scratch that
 * tollgate_verify used. A Rust reference over it would be undefined behaviour. */
static void a_scratch_handle_must_come_from_scratch_init(void) {
    tollgate_verifier *v = standard_verifier(dir);
    char *token = vector_token(dir, "rfc9068_eddsa_access_token");
    tollgate_cache *cache = NULL;
    CHECK_STATUS(tollgate_cache_new(v, 2, &cache), TOLLGATE_STATUS_OK);
    const tollgate_claims *c = NULL;

    void *fresh = new_scratch();
    memset(fresh, 0xa5, TOLLGATE_SCRATCH_SIZE); /* what malloc may hand out */
    CHECK_STATUS(tollgate_verify_in(v, STR(token), NOW, (tollgate_scratch *)fresh, &c), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_verify_cached_in(cache, STR(token), NOW, (tollgate_scratch *)fresh, &c),
                 TOLLGATE_STATUS_INVALID_ARGUMENT);
    memset(fresh, 0, TOLLGATE_SCRATCH_SIZE);
    CHECK_STATUS(tollgate_verify_in(v, STR(token), NOW, (tollgate_scratch *)fresh, &c), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tollgate_verify(v, STR(token), NOW, fresh, TOLLGATE_SCRATCH_SIZE, &c), TOLLGATE_STATUS_OK);
    CHECK_STATUS(tollgate_verify_in(v, STR(token), NOW, (tollgate_scratch *)fresh, &c), TOLLGATE_STATUS_INVALID_ARGUMENT);
    CHECK(c == fresh);

    /* Prepared, it works; and it works again after a tollgate_verify in the same memory. */
    tollgate_scratch *prepared = NULL;
    CHECK_STATUS(tollgate_scratch_init(fresh, TOLLGATE_SCRATCH_SIZE, &prepared), TOLLGATE_STATUS_OK);
    CHECK_STATUS(tollgate_verify_in(v, STR(token), NOW, prepared, &c), TOLLGATE_STATUS_OK);
    CHECK_STATUS(tollgate_verify_cached_in(cache, STR(token), NOW, prepared, &c), TOLLGATE_STATUS_OK);
    CHECK_STATUS(tollgate_verify(v, STR(token), NOW, fresh, TOLLGATE_SCRATCH_SIZE, &c), TOLLGATE_STATUS_OK);
    CHECK_STATUS(tollgate_verify_in(v, STR(token), NOW, prepared, &c), TOLLGATE_STATUS_OK);
    free(fresh);
    tollgate_cache_free(cache);
    free(token);
    tollgate_verifier_free(v);
}

int main(int argc, char **argv) {
    dir = argc > 1 ? argv[1] : "tests/vectors";
    an_init_out_parameter_inside_its_memory_is_refused();
    a_verifier_built_over_its_own_inputs_is_refused();
    a_key_set_is_not_written_through_its_own_arguments();
    a_policy_value_inside_the_policy_is_refused();
    nothing_is_written_into_a_verifier();
    out_parameters_of_one_call_do_not_overlap();
    a_scratch_handle_must_come_from_scratch_init();
    return finish("overlap");
}
