/* The request path of the static library pulls no allocator: malloc and friends are wrapped
 * at link time and abort if called while a verification runs. */
#include <stdatomic.h>

#include "common.h"

#define NOW 1750000000

static atomic_int verifying;

#define GUARD(name)                                                               \
    if (atomic_load(&verifying)) {                                                \
        fprintf(stderr, "noalloc: %s called during tollgate_verify\n", name);    \
        abort();                                                                  \
    }

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
int __real_posix_memalign(void **, size_t, size_t);
void *__real_aligned_alloc(size_t, size_t);
void *__real_memalign(size_t, size_t);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);
void *__wrap_memalign(size_t a, size_t n);

static atomic_int calls;

void *__wrap_malloc(size_t n) { GUARD("malloc"); atomic_fetch_add(&calls, 1); return __real_malloc(n); }
void *__wrap_calloc(size_t a, size_t b) { GUARD("calloc"); atomic_fetch_add(&calls, 1); return __real_calloc(a, b); }
void *__wrap_realloc(void *p, size_t n) { GUARD("realloc"); atomic_fetch_add(&calls, 1); return __real_realloc(p, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { GUARD("posix_memalign"); atomic_fetch_add(&calls, 1); return __real_posix_memalign(p, a, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { GUARD("aligned_alloc"); atomic_fetch_add(&calls, 1); return __real_aligned_alloc(a, n); }
void *__wrap_memalign(size_t a, size_t n) { GUARD("memalign"); atomic_fetch_add(&calls, 1); return __real_memalign(a, n); }

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    /* Building the verifier may allocate (its handle lives on the heap): that is the control
     * showing the wrappers see the library's allocations. */
    int before = atomic_load(&calls);
    tollgate_verifier *verifier = standard_verifier(dir);
    CHECK(atomic_load(&calls) > before);
    void *scratch = new_scratch();
    void *prepared_mem = new_scratch();
    tollgate_scratch *prepared = NULL;
    CHECK_STATUS(tollgate_scratch_init(prepared_mem, TOLLGATE_SCRATCH_SIZE, &prepared), TOLLGATE_STATUS_OK);
    tollgate_cache *cache = NULL;
    CHECK_STATUS(tollgate_cache_new(verifier, 8, &cache), TOLLGATE_STATUS_OK);

    size_t len;
    char *text = read_file(dir, "tokens.tsv", &len), *save = NULL;
    int verified = 0, accepted = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct vector v;
        if (!parse_vector(line, &v) || strcmp(v.jwks, "test.jwks") != 0) {
            continue;
        }
        uint8_t buf[512];
        const uint8_t *sub;
        size_t n;
        atomic_store(&verifying, 1);
        const tollgate_claims *c = NULL;
        tollgate_status s = tollgate_verify(verifier, STR(v.token), v.now, scratch, TOLLGATE_SCRATCH_SIZE, &c);
        if (s == TOLLGATE_STATUS_OK) {
            accepted++;
            (void)tollgate_claims_text(c, STR("aud"), buf, sizeof buf, &n);
            (void)tollgate_claims_sub(c, &sub, &n);
        }
        (void)tollgate_status_name(s);
        /* twice through the cache: a miss that fills it, then a hit */
        (void)tollgate_verify_cached(cache, STR(v.token), v.now, scratch, TOLLGATE_SCRATCH_SIZE, &c);
        (void)tollgate_verify_cached(cache, STR(v.token), v.now, scratch, TOLLGATE_SCRATCH_SIZE, &c);
        /* and in prepared scratch */
        (void)tollgate_verify_in(verifier, STR(v.token), v.now, prepared, &c);
        (void)tollgate_verify_cached_in(cache, STR(v.token), v.now, prepared, &c);
        atomic_store(&verifying, 0);
        verified++;
    }
    free(text);
    CHECK(verified > 90 && accepted > 5);
    printf("%d verifications, %d accepted, no allocation\n", verified, accepted);
    free(scratch);
    free(prepared_mem);
    tollgate_cache_free(cache);
    tollgate_verifier_free(verifier);
    return finish("noalloc");
}
