/*
 * Preloaded into nginx by memory.rs: once the file FLAG exists, posix_memalign() of a scratch
 * (16 KiB aligned to 8, what the module asks for) fails, as it would for a worker out of
 * memory. Every other allocation goes through. FLAG is given at build time (-DFLAG=...):
 * nginx clears its workers' environment.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <unistd.h>

int posix_memalign(void **memptr, size_t alignment, size_t size) {
    static int (*real)(void **, size_t, size_t);

    if (size == 16384 && alignment == 8 && access(FLAG, F_OK) == 0) {
        return ENOMEM;
    }
    if (real == NULL) {
        *(void **)&real = dlsym(RTLD_NEXT, "posix_memalign");
    }
    return real(memptr, alignment, size);
}
