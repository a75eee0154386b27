/* One verifier, many threads: a const tollgate_verifier is safe to share. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "common.h"

#define THREADS 8
#define ROUNDS 2000
#define NOW 1750000000

struct job {
    const tollgate_verifier *verifier;
    const char *good, *forged;
    int ok, rejected, wrong;
};

static void *work(void *arg) {
    struct job *job = arg;
    void *scratch = new_scratch();
    for (int i = 0; i < ROUNDS; i++) {
        const char *token = (i % 3 == 0) ? job->forged : job->good;
        const tollgate_claims *c = NULL;
        tollgate_status s = tollgate_verify(job->verifier, STR(token), NOW, scratch, TOLLGATE_SCRATCH_SIZE, &c);
        const uint8_t *p;
        size_t n;
        if (token == job->good && s == TOLLGATE_STATUS_OK &&
            tollgate_claims_sub(c, &p, &n) == TOLLGATE_STATUS_OK && slice_is(p, n, "client-1")) {
            job->ok++;
        } else if (token == job->forged && s == TOLLGATE_STATUS_BAD_SIGNATURE) {
            job->rejected++;
        } else {
            job->wrong++;
        }
    }
    free(scratch);
    return NULL;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    tollgate_verifier *verifier = standard_verifier(dir);

    char *good = vector_token(dir, "rfc9068_hs256_access_token");
    char *forged = vector_token(dir, "hs256_wrong_secret");
    CHECK(good && forged);
    pthread_t threads[THREADS];
    struct job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (struct job){verifier, good, forged, 0, 0, 0};
        CHECK(pthread_create(&threads[t], NULL, work, &jobs[t]) == 0);
    }
    int ok = 0, rejected = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        CHECK(jobs[t].wrong == 0);
        ok += jobs[t].ok;
        rejected += jobs[t].rejected;
    }
    CHECK(ok + rejected == THREADS * ROUNDS);
    printf("%d threads: %d accepted, %d rejected\n", THREADS, ok, rejected);
    free(good);
    free(forged);
    tollgate_verifier_free(verifier);
    return finish("threads");
}
