/* Every shared vector through the C API: the same verdict as the Rust suite, by name. */
#include "common.h"

static int run_file(const char *dir, const char *file, void *scratch) {
    size_t len;
    char *text = read_file(dir, file, &len);
    int count = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct vector v;
        if (!parse_vector(line, &v)) {
            continue;
        }
        tollgate_keyset *keys = load_keys(dir, v.jwks);
        tollgate_policy *policy = policy_from(v.policy);
        tollgate_verifier *verifier = NULL;
        CHECK_STATUS(tollgate_verifier_new(keys, policy, &verifier), TOLLGATE_STATUS_OK);
        const tollgate_claims *claims = NULL;
        tollgate_status s = tollgate_verify(verifier, (const uint8_t *)v.token, strlen(v.token), v.now,
                                            scratch, TOLLGATE_SCRATCH_SIZE, &claims);
        if (strcmp(tollgate_status_name(s), v.expect) != 0) {
            fprintf(stderr, "%s: %s: expected %s, got %s\n", file, v.name, v.expect, tollgate_status_name(s));
            failures++;
        }
        /* Claims exist exactly when the token was accepted. */
        CHECK((s == TOLLGATE_STATUS_OK) == (claims != NULL));
        CHECK((s == TOLLGATE_STATUS_OK) == (tollgate_claims_count((const tollgate_claims *)scratch) > 0));
        tollgate_verifier_free(verifier);
        tollgate_policy_free(policy);
        tollgate_keyset_free(keys);
        count++;
    }
    free(text);
    return count;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    void *scratch = new_scratch();
    int n = run_file(dir, "tokens.tsv", scratch) + run_file(dir, "independent.tsv", scratch);
    CHECK(n >= 100);
    free(scratch);
    printf("%d vectors\n", n);
    return finish("vectors");
}
