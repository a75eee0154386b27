/* Everything in memory the caller owns, as on a target without malloc: key set, policy,
 * verifier and scratch in static and stack storage. */
#include "common.h"

#define NOW 1750000000

/* C99 has no _Alignas: arrays of uint64_t give the 8-byte alignment the header asks for. */
typedef char alignment_fits[(TOLLGATE_KEYSET_ALIGN <= 8 && TOLLGATE_POLICY_ALIGN <= 8 &&
                             TOLLGATE_VERIFIER_ALIGN <= 8 && TOLLGATE_SCRATCH_ALIGN <= 8) ? 1 : -1];
static uint64_t keyset_mem[TOLLGATE_KEYSET_SIZE / 8];
static uint64_t policy_mem[TOLLGATE_POLICY_SIZE / 8];
static uint64_t verifier_mem[TOLLGATE_VERIFIER_SIZE / 8 + 1]; /* room for a misaligned try */

int main(int argc, char **argv) {
    (void)sizeof(alignment_fits);
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    uint64_t scratch[TOLLGATE_SCRATCH_SIZE / 8];

    tollgate_keyset *keys = NULL;
    tollgate_policy *policy = NULL;
    tollgate_verifier *verifier = NULL;
    CHECK_STATUS(tollgate_keyset_init(keyset_mem, sizeof keyset_mem, &keys), TOLLGATE_STATUS_OK);
    CHECK(keys == (void *)keyset_mem);
    size_t len;
    char *jwks = read_file(dir, "test.jwks", &len);
    CHECK_STATUS(tollgate_keyset_add_jwks(keys, (const uint8_t *)jwks, len, NULL), TOLLGATE_STATUS_OK);
    free(jwks);
    CHECK_STATUS(tollgate_policy_init(policy_mem, sizeof policy_mem, &policy), TOLLGATE_STATUS_OK);
    CHECK_STATUS(tollgate_policy_set_issuer(policy, STR("https://issuer.example")), TOLLGATE_STATUS_OK);
    CHECK_STATUS(tollgate_policy_add_audience(policy, STR("api://items")), TOLLGATE_STATUS_OK);

    /* Too small, misaligned and NULL memory are refused. */
    tollgate_verifier *bad = NULL;
    CHECK_STATUS(tollgate_verifier_init(verifier_mem, TOLLGATE_VERIFIER_SIZE / 4, keys, policy, &bad), TOLLGATE_STATUS_BUFFER_TOO_SMALL);
    CHECK_STATUS(tollgate_verifier_init((char *)verifier_mem + 1, TOLLGATE_VERIFIER_SIZE, keys, policy, &bad), TOLLGATE_STATUS_MISALIGNED);
    CHECK_STATUS(tollgate_verifier_init(NULL, TOLLGATE_VERIFIER_SIZE, keys, policy, &bad), TOLLGATE_STATUS_NULL_ARGUMENT);
    CHECK(bad == NULL);

    CHECK_STATUS(tollgate_verifier_init(verifier_mem, sizeof verifier_mem, keys, policy, &verifier), TOLLGATE_STATUS_OK);
    CHECK(verifier == (void *)verifier_mem);
    tollgate_policy_free(policy);
    tollgate_keyset_free(keys);

    /* A token with neither typ nor any other surprise: the RFC 9068 EdDSA vector. */
    char *text = read_file(dir, "tokens.tsv", &len), *save = NULL;
    int checked = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct vector v;
        if (!parse_vector(line, &v) || strcmp(v.name, "rfc9068_eddsa_access_token") != 0) {
            continue;
        }
        const tollgate_claims *c = NULL;
        CHECK_STATUS(tollgate_verify(verifier, STR(v.token), NOW, scratch, sizeof scratch, &c), TOLLGATE_STATUS_OK);
        int64_t exp = 0;
        CHECK_STATUS(tollgate_claims_exp(c, &exp), TOLLGATE_STATUS_OK);
        CHECK(exp == NOW + 290);
        checked++;
    }
    free(text);
    CHECK(checked == 1);
    tollgate_verifier_free(verifier);
    return finish("caller_memory");
}
