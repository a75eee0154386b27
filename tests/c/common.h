/* Helpers shared by the C tests: assertions, files, and the shared vector format. */
#ifndef TOLLGATE_TEST_COMMON_H
#define TOLLGATE_TEST_COMMON_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tollgate.h>

static int failures;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                               \
        }                                                                             \
    } while (0)

#define CHECK_STATUS(call, expected)                                                  \
    do {                                                                              \
        tollgate_status got_ = (call);                                                \
        if (got_ != (expected)) {                                                     \
            fprintf(stderr, "%s:%d: %s gave %s, expected %s\n", __FILE__, __LINE__,   \
                    #call, tollgate_status_name(got_), tollgate_status_name(expected)); \
            failures++;                                                               \
        }                                                                             \
    } while (0)

static inline int finish(const char *name) {
    if (failures) {
        fprintf(stderr, "%s: %d failure(s)\n", name, failures);
        return 1;
    }
    printf("%s: ok\n", name);
    return 0;
}

/* Reads a whole file; the caller frees it. */
static inline char *read_file(const char *dir, const char *name, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    if (!buf) {
        exit(2);
    }
    buf[n < cap ? n : cap - 1] = '\0';
    *len = n;
    return buf;
}

static inline tollgate_keyset *load_keys(const char *dir, const char *file) {
    size_t len;
    char *jwks = read_file(dir, file, &len);
    tollgate_keyset *keys = NULL;
    if (tollgate_keyset_new(&keys) != TOLLGATE_STATUS_OK ||
        tollgate_keyset_add_jwks(keys, (const uint8_t *)jwks, len, NULL) != TOLLGATE_STATUS_OK) {
        fprintf(stderr, "cannot load %s\n", file);
        exit(2);
    }
    free(jwks);
    return keys;
}

#define STR(s) (const uint8_t *)(s), strlen(s)

/* Applies a policy column of the vector files: "-" or key=value items separated by ';'. */
static inline tollgate_policy *policy_from(const char *spec) {
    tollgate_policy *policy = NULL;
    if (tollgate_policy_new(&policy) != TOLLGATE_STATUS_OK) {
        exit(2);
    }
    if (strcmp(spec, "-") == 0) {
        return policy;
    }
    char *copy = strdup(spec), *save = NULL;
    for (char *item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
        char *value = strchr(item, '=');
        if (!value) {
            exit(2);
        }
        *value++ = '\0';
        tollgate_status s;
        if (strcmp(item, "iss") == 0) {
            s = tollgate_policy_set_issuer(policy, STR(value));
        } else if (strcmp(item, "aud") == 0) {
            s = tollgate_policy_add_audience(policy, STR(value));
        } else if (strcmp(item, "typ") == 0) {
            s = tollgate_policy_set_type(policy, STR(value));
        } else if (strcmp(item, "scope") == 0) {
            s = tollgate_policy_add_scope(policy, STR(value));
        } else if (strcmp(item, "claim") == 0) {
            s = tollgate_policy_add_required_claim(policy, STR(value));
        } else if (strcmp(item, "leeway") == 0) {
            s = tollgate_policy_set_leeway(policy, (uint32_t)strtoul(value, NULL, 10));
        } else if (strcmp(item, "exp") == 0 && strcmp(value, "optional") == 0) {
            s = tollgate_policy_set_require_exp(policy, false);
        } else {
            fprintf(stderr, "unknown policy item %s\n", item);
            exit(2);
        }
        if (s != TOLLGATE_STATUS_OK) {
            fprintf(stderr, "policy item %s: %s\n", item, tollgate_status_name(s));
            exit(2);
        }
    }
    free(copy);
    return policy;
}

/* One line of a vectors file; fields point into the line. */
struct vector {
    char *name, *jwks, *policy, *expect, *token, *reason;
    int64_t now;
};

/* Splits a vectors line in place; returns 0 for comments and blank lines. */
static inline int parse_vector(char *line, struct vector *v) {
    line[strcspn(line, "\n")] = '\0';
    if (line[0] == '#' || line[0] == '\0') {
        return 0;
    }
    char *fields[7];
    for (int i = 0; i < 7; i++) {
        fields[i] = line;
        char *tab = strchr(line, '\t');
        if (i < 6) {
            if (!tab) {
                fprintf(stderr, "vector line has fewer than 7 fields\n");
                exit(2);
            }
            *tab = '\0';
            line = tab + 1;
        }
    }
    v->name = fields[0];
    v->jwks = fields[1];
    v->now = strtoll(fields[2], NULL, 10);
    v->policy = fields[3];
    v->expect = fields[4];
    v->token = fields[5];
    v->reason = fields[6];
    return 1;
}

/* The token of the named vector in tokens.tsv, as a new string. */
static inline char *vector_token(const char *dir, const char *name) {
    size_t len;
    char *text = read_file(dir, "tokens.tsv", &len), *save = NULL, *found = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
        struct vector v;
        if (parse_vector(line, &v) && strcmp(v.name, name) == 0) {
            found = strdup(v.token);
        }
    }
    free(text);
    if (!found) {
        fprintf(stderr, "no vector %s\n", name);
        exit(2);
    }
    return found;
}

/* The verifier most vectors use: test.jwks and the standard policy. It holds copies of both. */
static inline tollgate_verifier *standard_verifier(const char *dir) {
    tollgate_keyset *keys = load_keys(dir, "test.jwks");
    tollgate_policy *policy = policy_from("iss=https://issuer.example;aud=api://items;typ=at+jwt");
    tollgate_verifier *v = NULL;
    if (tollgate_verifier_new(keys, policy, &v) != TOLLGATE_STATUS_OK) {
        fprintf(stderr, "cannot build the standard verifier\n");
        exit(2);
    }
    tollgate_policy_free(policy);
    tollgate_keyset_free(keys);
    return v;
}

/* Scratch memory, aligned as the header asks. */
static inline void *new_scratch(void) {
    void *p = NULL;
    if (posix_memalign(&p, TOLLGATE_SCRATCH_ALIGN, TOLLGATE_SCRATCH_SIZE) != 0) {
        exit(2);
    }
    return p;
}

static inline int slice_is(const uint8_t *ptr, size_t len, const char *expected) {
    return len == strlen(expected) && memcmp(ptr, expected, len) == 0;
}

#endif
