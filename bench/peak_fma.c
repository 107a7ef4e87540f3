/*
 * peak_fma.c — the machine's float32 multiply-add peak, measured: each of T
 * threads (pthreads, one per core) runs a loop of independent fused multiply-adds
 * on 12 vector accumulators (enough to cover the FMA latency on both FMA pipes),
 * the widest the CPU has (AVX-512: 16 floats, AVX2+FMA: 8), for about --seconds
 * seconds; a multiply-add counts 2 FLOP. bench/run.sh divides each workload's
 * FLOP count by this figure for its physical limit, in the same run.
 *
 * Usage: peak_fma [--threads T] [--seconds S]
 * Output: RESULT threads=T gflops=... isa=avx512|avx2|scalar
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define ACC 12
#define DEFINE_LOOP(name, isa, vec, set1, fmadd, store, width)                      \
    __attribute__((target(isa))) static float name(long iters) {                   \
        vec a[ACC];                                                                   \
        for (int j = 0; j < ACC; j++) a[j] = set1(1.0f + 0.001f * (float)j);          \
        const vec m = set1(0.99999994f), c = set1(1e-7f);                             \
        for (long i = 0; i < iters; i++)                                              \
            for (int j = 0; j < ACC; j++) a[j] = fmadd(a[j], m, c);                   \
        float out[width], s = 0;                                                      \
        for (int j = 0; j < ACC; j++) {                                               \
            store(out, a[j]);                                                         \
            for (int k = 0; k < (width); k++) s += out[k];                            \
        }                                                                             \
        return s;                                                                     \
    }
DEFINE_LOOP(loop512, "avx512f", __m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps, 16)
DEFINE_LOOP(loop256, "avx2,fma", __m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps, 8)

static float (*loop)(long);
static long g_iters;
static void *worker(void *arg) {
    *(float *)arg = loop(g_iters);
    return NULL;
}

int main(int argc, char **argv) {
    int threads = 1;
    double seconds = 0.5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--threads T] [--seconds S]\n", argv[0]);
            return 2;
        }
    }
    __builtin_cpu_init();
    int w = __builtin_cpu_supports("avx512f") ? 16 : __builtin_cpu_supports("fma") ? 8 : 0;
    if (!w) {
        printf("peak_fma: no FMA unit detected\nRESULT threads=%d gflops=0 isa=scalar\n", threads);
        return 0;
    }
    loop = w == 16 ? loop512 : loop256;
    if (threads < 1 || threads > 256) threads = 1;
    /* calibrate on one thread, then all threads at once, best of 3 */
    long iters = 1 << 16;
    for (;;) {
        double t0 = now_s();
        volatile float s = loop(iters);
        (void)s;
        if (now_s() - t0 > seconds / 10 || iters > (1L << 40)) break;
        iters *= 2;
    }
    iters = (long)((double)iters * 10.0 / 3.0);
    double best = 0, sink = 0;
    for (int r = 0; r < 3; r++) {
        double t0 = now_s();
        pthread_t tid[256];
        float res[256];
        g_iters = iters;
        for (int t = 0; t < threads; t++) pthread_create(&tid[t], NULL, worker, &res[t]);
        for (int t = 0; t < threads; t++) {
            pthread_join(tid[t], NULL);
            sink += res[t];
        }
        double dt = now_s() - t0;
        double gf = 2.0 * ACC * w * (double)iters * threads / dt * 1e-9;
        if (gf > best) best = gf;
    }
    printf("peak_fma: %d thread(s), %s FMA on %d accumulators: %.1f GFLOP/s (%.1f per thread; checksum %g)\n",
           threads, w == 16 ? "AVX-512" : "AVX2", ACC, best, best / threads, sink);
    printf("RESULT threads=%d gflops=%.1f isa=%s\n", threads, best, w == 16 ? "avx512" : "avx2");
    return 0;
}
