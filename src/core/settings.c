/*
 * settings.c — the library's global settings: the thread team (its size, and
 * its adaptation to the cores other processes leave idle) and the
 * convolution algorithm switch. Kernels, the session and the k-means code
 * read them; they hang off no graph or session because the BLAS's team is
 * global too.
 */
#include "core/core.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

/*** threads ***/

/* 0 until nb_set_num_threads; atomic, as kernels on any thread read it. */
static atomic_int g_threads;
/* The team the kernels and the BLAS use now: the setting, or fewer while other
 * processes keep cores busy (threads_probe); 0 until first sized. */
static atomic_int g_eff;
/* -1 until first asked: then NABLA_ADAPTIVE_THREADS from the environment decides. */
static atomic_int g_adapt = -1;

static int cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static int requested_threads(void) {
    int n = atomic_load_explicit(&g_threads, memory_order_relaxed);
    return n ? n : cores();
}

void nb_set_num_threads(int n) {
    int c = cores();
    if (n < 1) n = 1;
    if (n > c) n = c;
    atomic_store_explicit(&g_threads, n, memory_order_relaxed);
    atomic_store_explicit(&g_eff, n, memory_order_relaxed);
    openblas_set_num_threads(n);
}

int nb_get_num_threads(void) { return requested_threads(); }

int nbi_num_threads(void) {
    int e = atomic_load_explicit(&g_eff, memory_order_relaxed);
    return e ? e : requested_threads();
}

void nb_set_adaptive_threads(bool on) {
    atomic_store(&g_adapt, on ? 1 : 0);
    if (!on) {
        int n = requested_threads();
        if (atomic_exchange(&g_eff, n) != n) openblas_set_num_threads(n);
    }
}

bool nb_get_adaptive_threads(void) {
    int a = atomic_load(&g_adapt);
    if (a < 0) {
        const char *e = getenv("NABLA_ADAPTIVE_THREADS");
        a = e && strcmp(e, "0") == 0 ? 0 : 1;
        int expected = -1;
        atomic_compare_exchange_strong(&g_adapt, &expected, a);
        a = atomic_load(&g_adapt);
    }
    return a == 1;
}

int nb_get_active_threads(void) { return nbi_num_threads(); }

/* Busy and total CPU time of the whole machine in seconds, from /proc/stat's
 * first line ("cpu user nice system idle iowait irq softirq steal ..."). */
static bool machine_cpu(double *busy) {
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return false;
    unsigned long long v[8] = {0};
    int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                     &v[5], &v[6], &v[7]);
    fclose(f);
    if (got < 4) return false;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0) hz = 100;
    *busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)hz;
    return true;
}

static double mono_s(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Sizes the team to the cores other processes leave idle. At most every 0.1 s
 * (checked at each session run): the machine's busy CPU time since the last
 * probe, less this process's own CPU time (its spinning included), is the
 * other processes' load in cores; the team is the setting, capped at the cores
 * minus that load (rounded down unless 0.6 of a core is left; at least 1). A static split over a
 * core shared with another process runs at that core's pace, so a second
 * thread on a core that is more than half taken costs more than it brings;
 * and OpenMP threads that spin while they wait steal the time slices of the
 * thread that has work. Only one caller probes at a time. */
static atomic_flag probe_flag = ATOMIC_FLAG_INIT;
static double last_wall, last_busy, last_own;

/* The first window starts when the library is loaded, so that a program's
 * first session run (after loading its data) is already sized. */
__attribute__((constructor)) static void threads_baseline(void) {
    double busy;
    if (!machine_cpu(&busy)) return;
    last_busy = busy;
    last_own = mono_s(CLOCK_PROCESS_CPUTIME_ID);
    last_wall = mono_s(CLOCK_MONOTONIC);
}

void nbi_threads_probe(void) {
    int req = requested_threads();
    if (req < 2 || !nb_get_adaptive_threads()) return;
    if (atomic_flag_test_and_set(&probe_flag)) return;
    double wall = mono_s(CLOCK_MONOTONIC);
    if (last_wall == 0 || wall - last_wall >= 0.1) {
        double busy, own = mono_s(CLOCK_PROCESS_CPUTIME_ID);
        if (machine_cpu(&busy)) {
            if (last_wall != 0 && busy >= last_busy) {
                double others = ((busy - last_busy) - (own - last_own)) / (wall - last_wall);
                if (others < 0) others = 0;
                /* a thread more only where at least 0.6 of a core is free for it: the
                 * team's own spinning counts as its use, so a team of 2 on a half-taken
                 * core measures ~1.5 cores for itself and must not keep itself at 2 */
                int n = (int)((double)cores() - others + 0.4);
                if (n > req) n = req;
                if (n < 1) n = 1;
                if (atomic_exchange(&g_eff, n) != n) openblas_set_num_threads(n);
            }
            last_wall = wall;
            last_busy = busy;
            last_own = own;
        }
    }
    atomic_flag_clear(&probe_flag);
}

/*** switches that default to on ***/

/* A switch's cell is -1 until first asked; then the environment variable
 * decides ("0" turns it off) unless a setter came first. */
static bool env_switch(_Atomic int *cell, const char *var) {
    int v = *cell;
    if (v < 0) {
        const char *e = getenv(var);
        int expected = -1;
        atomic_compare_exchange_strong(cell, &expected, e && strcmp(e, "0") == 0 ? 0 : 1);
        v = *cell;
    }
    return v == 1;
}

static _Atomic int g_winograd = -1; /* convolution algorithm: NABLA_WINOGRAD */
static _Atomic int g_fusion = -1;   /* run-time fusion: NABLA_FUSION */

void nb_set_winograd(bool on) { g_winograd = on ? 1 : 0; }
bool nb_get_winograd(void) { return env_switch(&g_winograd, "NABLA_WINOGRAD"); }
void nb_set_fusion(bool on) { g_fusion = on ? 1 : 0; }
bool nb_get_fusion(void) { return env_switch(&g_fusion, "NABLA_FUSION"); }
