/*
 * bench_events.c — writing 100,000 scalar events with nb_summary_writer_add_scalar:
 * events per second and bytes per event. The peer (peer_events.py) writes the
 * same events with Debian's python3-protobuf and a pure-Python masked CRC32C,
 * as TensorBoard's own Python writer does.
 *
 * Usage: bench_events [--events N] [--rounds R] [--dir DIR]
 * Prints readable lines and a RESULT line.
 */
#define _POSIX_C_SOURCE 200809L
#include <nabla.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    long n = 100000;
    int rounds = 3;
    const char *dir = "/tmp/nabla_bench_events";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--events") && i + 1 < argc) n = atol(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
    }
    double best = 1e30;
    long long bytes = 0;
    for (int r = 0; r < rounds; r++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s/nabla_%d_%d", dir, (int)getpid(), r);
        nb_error err;
        double t0 = now();
        nb_summary_writer *w = nb_summary_writer_open(sub, NULL, &err);
        if (!w) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        for (long i = 0; i < n; i++) nb_summary_writer_add_scalar(w, "loss", i, 1.0 / (1.0 + (double)i));
        char path[1024];
        snprintf(path, sizeof path, "%s", nb_summary_writer_path(w));
        if (nb_summary_writer_close(w) != NB_OK) return 1;
        double t = now() - t0;
        struct stat st;
        if (stat(path, &st) == 0) bytes = st.st_size;
        remove(path);
        rmdir(sub);
        if (t < best) best = t;
        printf("round %d: %.3f s, %.0f events/s\n", r, t, (double)n / t);
    }
    printf("best: %.0f events/s, %.1f bytes/event (file of %lld bytes)\n", (double)n / best,
           (double)bytes / (double)n, bytes);
    printf("RESULT events_per_s=%.0f bytes_per_event=%.2f events=%ld\n", (double)n / best,
           (double)bytes / (double)n, n);
    return 0;
}
