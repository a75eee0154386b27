/* The caller-memory path on a small thread, as an embedded proxy runs it: key set, verifier and
 * scratch in the caller's memory, built and used for every accepted vector of every algorithm on
 * a thread whose stack is STACK_BYTES with a guard page below it. Overflowing it is SIGSEGV, not
 * a failure message; the deepest byte touched is printed for the README. Built without ASan,
 * whose frames are larger than the release library's. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

/* Loading a 4096-bit RSA key and an ES384 verification are the deepest (see README, "Memory"). */
#define STACK_BYTES (48 * 1024)
#define PAINT 0xA5

static uint64_t keyset_mem[TOLLGATE_KEYSET_SIZE / 8];
static uint64_t verifier_mem[TOLLGATE_VERIFIER_SIZE / 8];
static uint64_t scratch_mem[TOLLGATE_SCRATCH_SIZE / 8];

struct job {
    const char *jwks;
    size_t jwks_len;
    const tollgate_policy *policy;
    const char *token;
    int64_t now;
    tollgate_status loaded, built, verified;
};

/* Everything that touches the library, on the small stack. */
static void *run(void *arg) {
    struct job *job = arg;
    tollgate_keyset *keys = NULL;
    tollgate_verifier *verifier = NULL;
    job->loaded = tollgate_keyset_init(keyset_mem, sizeof keyset_mem, &keys);
    if (job->loaded == TOLLGATE_STATUS_OK) {
        job->loaded = tollgate_keyset_add_jwks(keys, (const uint8_t *)job->jwks, job->jwks_len, NULL);
    }
    job->built = tollgate_verifier_init(verifier_mem, sizeof verifier_mem, keys, job->policy, &verifier);
    tollgate_keyset_free(keys);
    const tollgate_claims *claims = NULL;
    job->verified = tollgate_verify(verifier, STR(job->token), job->now, scratch_mem, sizeof scratch_mem, &claims);
    tollgate_verifier_free(verifier);
    return NULL;
}

/* Runs `job` on a fresh STACK_BYTES stack; returns the bytes of it that were used. */
static size_t on_small_stack(struct job *job) {
    long page = sysconf(_SC_PAGESIZE);
    size_t total = STACK_BYTES + (size_t)page;
    unsigned char *region = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED || mprotect(region, (size_t)page, PROT_NONE) != 0) {
        perror("stack");
        exit(2);
    }
    unsigned char *stack = region + page;
    memset(stack, PAINT, STACK_BYTES);
    pthread_attr_t attr;
    pthread_t thread;
    if (pthread_attr_init(&attr) != 0 || pthread_attr_setstack(&attr, stack, STACK_BYTES) != 0 ||
        pthread_create(&thread, &attr, run, job) != 0 || pthread_join(thread, NULL) != 0) {
        fprintf(stderr, "cannot run a thread on a %d-byte stack\n", STACK_BYTES);
        exit(2);
    }
    pthread_attr_destroy(&attr);
    size_t untouched = 0;
    while (untouched < STACK_BYTES && stack[untouched] == PAINT) {
        untouched++;
    }
    munmap(region, total);
    return STACK_BYTES - untouched;
}

static int run_file(const char *dir, const char *file, size_t *deepest) {
    size_t len;
    char *text = read_file(dir, file, &len), *save = NULL;
    int count = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct vector v;
        if (!parse_vector(line, &v) || strcmp(v.expect, "ok") != 0) {
            continue;
        }
        struct job job = {0};
        char *jwks = read_file(dir, v.jwks, &job.jwks_len);
        tollgate_policy *policy = policy_from(v.policy);
        job.jwks = jwks;
        job.policy = policy;
        job.token = v.token;
        job.now = v.now;
        size_t used = on_small_stack(&job);
        if (job.loaded != TOLLGATE_STATUS_OK || job.built != TOLLGATE_STATUS_OK ||
            job.verified != TOLLGATE_STATUS_OK) {
            fprintf(stderr, "%s: load %s, build %s, verify %s\n", v.name, tollgate_status_name(job.loaded),
                    tollgate_status_name(job.built), tollgate_status_name(job.verified));
            failures++;
        }
        if (used > *deepest) {
            *deepest = used;
        }
        tollgate_policy_free(policy);
        free(jwks);
        count++;
    }
    free(text);
    return count;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    size_t deepest = 0;
    int n = run_file(dir, "tokens.tsv", &deepest) + run_file(dir, "independent.tsv", &deepest);
    /* Every algorithm has accepted vectors in these two files. */
    CHECK(n >= 30);
    printf("%d accepted vectors built and verified in caller memory on a %d-byte stack; "
           "deepest use %zu bytes\n", n, STACK_BYTES, deepest);
    return finish("small_stack");
}
