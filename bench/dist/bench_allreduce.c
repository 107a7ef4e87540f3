/*
 * bench_allreduce.c — all-reduce time and bandwidth under mpirun: nabla's
 * nb_dist_allreduce_buffer (rank-order sums, the same bits on every rank,
 * timeouts) against the MPI library's MPI_Allreduce, in place on the same
 * float32 buffer, 4 KiB to MAX MiB (powers of 4, and powers of 2 from 256 KiB
 * to 16 MiB, where the protocols change). Reported, never gating.
 *
 * Method: the buffers are allocated and touched once (no first-touch page
 * faults in the timed calls); each size gets one untimed warm-up call of
 * each; then REPS repetitions alternate the two in ABBA order (nabla first in
 * even repetitions, MPI first in odd ones), each call after a barrier, the
 * buffer refilled (untimed) before each call. A repetition's time is the
 * slowest rank's. Per size: the median, the 25th-75th percentile and the
 * minimum of each, the ratio of the medians, the bus bandwidth
 * 2 (n-1)/n x bytes / median (the traffic per rank of a bandwidth-optimal
 * all-reduce) and the load average (1 min) before and after the size.
 *
 *   mpirun -np 2 build/bench_allreduce [max MiB, default 256] [reps, default 21] [min KiB, default 4]
 *
 * Sizes of 64 MiB and more run max(5, reps/4) repetitions.
 */
#include <nabla.h>

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double load1(void) {
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) l = -1;
        fclose(f);
    }
    return l;
}

/* One timed call (after a barrier); nabla's if which == 0, else MPI's. */
static double one(int which, float *buf, const float *src, size_t bytes) {
    nb_error err;
    memcpy(buf, src, bytes);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    if (which == 0) {
        if (nb_dist_allreduce_buffer(buf, (int64_t)(bytes / 4), NB_FLOAT32, NB_DIST_SUM, &err) != NB_OK) {
            fprintf(stderr, "%s\n", err.message);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    } else {
        MPI_Allreduce(MPI_IN_PLACE, buf, (int)(bytes / 4), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
    return MPI_Wtime() - t0;
}

int main(int argc, char **argv) {
    nb_error err;
    if (nb_dist_init(&argc, &argv, &err) != NB_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    int rank = nb_dist_rank(), n = nb_dist_size();
    size_t max = (size_t)(argc > 1 ? atoi(argv[1]) : 256) << 20;
    int reps = argc > 2 ? atoi(argv[2]) : 21;
    size_t min = (size_t)(argc > 3 ? atoi(argv[3]) : 4) << 10;
    if (reps < 1 || reps > 1000 || max < 4096 || min < 4096) {
        if (rank == 0)
            fprintf(stderr, "usage: bench_allreduce [max MiB >= 1] [reps 1..1000] [min KiB >= 4]\n");
        nb_dist_finalize();
        return 2;
    }
    float *src = malloc(max), *buf = malloc(max);
    double *t[2] = {malloc((size_t)reps * sizeof(double)), malloc((size_t)reps * sizeof(double))};
    if (!src || !buf || !t[0] || !t[1]) return 1;
    for (size_t i = 0; i < max / 4; i++) src[i] = (float)(i % 97) * 0.25f;
    memcpy(buf, src, max);
    if (rank == 0)
        printf("%d ranks; float32 sum in place; ABBA-alternated reps after a warm-up; "
               "the slowest rank's time\n%10s %4s | %10s %21s %9s %6s | %10s %21s %9s %6s | %6s | %s\n",
               n, "bytes", "reps", "nabla med", "[p25 .. p75] us", "min", "GB/s", "MPI med",
               "[p25 .. p75] us", "min", "GB/s", "n/MPI", "load");
    for (size_t bytes = min; bytes <= max; bytes *= bytes >= (256 << 10) && bytes < (16 << 20) ? 2 : 4) {
        int R = bytes >= ((size_t)64 << 20) ? (reps / 4 > 5 ? reps / 4 : 5) : reps;
        double l0 = load1();
        one(0, buf, src, bytes), one(1, buf, src, bytes); /* warm-up */
        for (int r = 0; r < R; r++) {
            int first = r & 1;
            t[first][r] = one(first, buf, src, bytes);
            t[!first][r] = one(!first, buf, src, bytes);
        }
        MPI_Allreduce(MPI_IN_PLACE, t[0], R, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, t[1], R, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        qsort(t[0], (size_t)R, sizeof(double), cmp);
        qsort(t[1], (size_t)R, sizeof(double), cmp);
        double f = 2.0 * (n - 1) / n * (double)bytes / 1e9;
        if (rank == 0) {
            printf("%10zu %4d", bytes, R);
            for (int w = 0; w < 2; w++) {
                double *x = t[w];
                printf(" | %10.1f [%9.1f .. %9.1f] %9.1f %6.2f", x[R / 2] * 1e6, x[R / 4] * 1e6,
                       x[(3 * R) / 4] * 1e6, x[0] * 1e6, f / x[R / 2]);
            }
            printf(" | %6.2f | %.1f-%.1f\n", t[0][R / 2] / t[1][R / 2], l0, load1());
            fflush(stdout);
        }
    }
    free(src), free(buf), free(t[0]), free(t[1]);
    nb_dist_finalize();
    return 0;
}
