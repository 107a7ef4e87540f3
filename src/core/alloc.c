/*
 * alloc.c — every allocation of the library goes through here, so sizes are
 * overflow-checked in one place and tests can make the n-th allocation fail.
 */
#include "core/core.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

/* 0: never fail; n: the n-th next allocation fails. Atomic: every allocation of
 * every thread reads it (a relaxed load, as cheap as a plain one). */
static atomic_long fail_countdown;

void nbi_alloc_fail_at(long n) { atomic_store(&fail_countdown, n); }

static bool should_fail(void) {
    long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    while (n > 0) /* decrement only while positive, so one allocation fails */
        if (atomic_compare_exchange_weak(&fail_countdown, &n, n - 1)) return n == 1;
    return false;
}

void *nbi_malloc(size_t n) {
    if (should_fail() || n == SIZE_MAX) return NULL;
    return malloc(n ? n : 1);
}

void *nbi_calloc(size_t count, size_t size) {
    if (should_fail() || nbi_mul_size(count, size) == SIZE_MAX) return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *nbi_realloc(void *p, size_t n) {
    if (should_fail() || n == SIZE_MAX) return NULL;
    return realloc(p, n ? n : 1);
}

void nbi_free(void *p) { free(p); }

/* Buffers of 4 MiB and more (data sets, large weights) start on a 2 MiB
 * boundary and ask for transparent huge pages: a shuffled batch's rows are
 * scattered over the whole set, and with 4 KiB pages nearly every row costs a
 * TLB miss (a 47 MB set spans 11,500 pages, the L2 TLB holds a few thousand).
 * Where the kernel's THP mode is "never" the advice is ignored. */
#define HUGE_PAGE ((size_t)2 << 20)

void *nbi_aligned_alloc(size_t n) {
    if (should_fail() || n > SIZE_MAX - 64) return NULL;
    if (n >= 2 * HUGE_PAGE) {
        void *p = NULL;
        if (posix_memalign(&p, HUGE_PAGE, n) != 0) return NULL;
#ifdef MADV_HUGEPAGE
        (void)madvise(p, n, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#endif
        return p;
    }
    size_t rounded = (n + 63) & ~(size_t)63;
    return aligned_alloc(64, rounded ? rounded : 64);
}

void nbi_aligned_free(void *p) { free(p); }

char *nbi_strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = nbi_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

char *nbi_asprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = nbi_malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}
