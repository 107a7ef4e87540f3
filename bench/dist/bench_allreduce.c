/*
 * bench_allreduce.c — all-reduce bandwidth under mpirun: nabla's
 * (nb_dist_allreduce_buffer: rank-order sums, the same bits on every rank,
 * timeouts) against the MPI library's MPI_Allreduce on the same float32
 * buffers, 4 KiB to 256 MiB. Reports per size the median time of the
 * repetitions and the "bus bandwidth" 2 (n-1)/n x bytes / time (the traffic
 * per rank of a bandwidth-optimal all-reduce), in GB/s. Reported, never gating.
 *
 *   mpirun -np 2 build/bench_allreduce [max MiB, default 256]
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

int main(int argc, char **argv) {
    nb_error err;
    if (nb_dist_init(&argc, &argv, &err) != NB_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    int rank = nb_dist_rank(), n = nb_dist_size();
    size_t max = (size_t)(argc > 1 ? atoi(argv[1]) : 256) << 20;
    float *a = malloc(max), *b = malloc(max);
    if (!a || !b) return 1;
    for (size_t i = 0; i < max / 4; i++) a[i] = (float)(i % 97) * 0.25f;
    if (rank == 0)
        printf("%d ranks; float32 sum; median of reps; bus bandwidth 2(n-1)/n * bytes / time\n"
               "%10s %6s %12s %10s %12s %10s\n", n, "bytes", "reps", "nabla us", "GB/s", "MPI us", "GB/s");
    for (size_t bytes = 4096; bytes <= max; bytes *= 4) {
        int reps = bytes <= (1 << 20) ? 50 : bytes <= (16 << 20) ? 10 : 3;
        double tn[50], tm[50];
        int64_t count = (int64_t)(bytes / 4);
        for (int r = 0; r < reps; r++) {
            memcpy(b, a, bytes);
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            if (nb_dist_allreduce_buffer(b, count, NB_FLOAT32, NB_DIST_SUM, &err) != NB_OK) {
                fprintf(stderr, "%s\n", err.message);
                return 1;
            }
            tn[r] = MPI_Wtime() - t0;
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
            MPI_Allreduce(a, b, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            tm[r] = MPI_Wtime() - t0;
        }
        /* the slowest rank's times count */
        MPI_Allreduce(MPI_IN_PLACE, tn, reps, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, tm, reps, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        qsort(tn, (size_t)reps, sizeof *tn, cmp);
        qsort(tm, (size_t)reps, sizeof *tm, cmp);
        double mn = tn[reps / 2], mm = tm[reps / 2], f = 2.0 * (n - 1) / n * (double)bytes / 1e9;
        if (rank == 0)
            printf("%10zu %6d %12.1f %10.2f %12.1f %10.2f\n", bytes, reps, mn * 1e6, f / mn, mm * 1e6, f / mm);
    }
    free(a), free(b);
    nb_dist_finalize();
    return 0;
}
