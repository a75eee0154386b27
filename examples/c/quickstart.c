/* Verify a bearer token in C: load a JWKS, build a verifier, verify, read sub and scope. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tollgate.h>

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s JWKS_FILE TOKEN [NOW]\n", argv[0]); return 2; }
    static char jwks[65536];
    FILE *f = fopen(argv[1], "rb");
    size_t jwks_len = f ? fread(jwks, 1, sizeof jwks, f) : 0;
    if (f) fclose(f);

    tollgate_keyset *keys; tollgate_policy *policy; tollgate_verifier *verifier;
    tollgate_status s = tollgate_keyset_new(&keys);
    if (!s) s = tollgate_keyset_add_jwks(keys, (const uint8_t *)jwks, jwks_len, NULL);
    if (!s) s = tollgate_policy_new(&policy);
    if (!s) s = tollgate_policy_add_audience(policy, (const uint8_t *)"api://items", 11);
    if (!s) s = tollgate_verifier_new(keys, policy, &verifier);
    if (s) { fprintf(stderr, "setup: %s\n", tollgate_status_str(s)); return 2; }

    static uint64_t scratch[TOLLGATE_SCRATCH_SIZE / 8]; /* TOLLGATE_SCRATCH_ALIGN is 8 */
    const tollgate_claims *claims;
    int64_t now = argc > 3 ? strtoll(argv[3], NULL, 10) : (int64_t)time(NULL);
    s = tollgate_verify(verifier, (const uint8_t *)argv[2], strlen(argv[2]), now,
                        scratch, sizeof scratch, &claims);
    if (s) {
        printf("%d %s: %s\n", tollgate_status_http_status(s), tollgate_status_error_code(s),
               tollgate_status_str(s));
    } else {
        const uint8_t *sub, *scope; size_t sub_len, scope_len;
        tollgate_claims_sub(claims, &sub, &sub_len);
        tollgate_claims_scope(claims, &scope, &scope_len);
        printf("sub=%.*s scope=%.*s\n", (int)sub_len, (const char *)sub, (int)scope_len, (const char *)scope);
    }
    tollgate_verifier_free(verifier); tollgate_policy_free(policy); tollgate_keyset_free(keys);
    return s ? 1 : 0;
}
