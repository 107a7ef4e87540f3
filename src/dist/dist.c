/*
 * dist.c — data-parallel training over MPI (libnabla_dist): the runtime
 * (init, rank, size, timeouts), the kernels of the collective ops registered
 * in src/ops/collective.c (installed as hooks at nb_dist_init), their public
 * constructors, the distributed optimizer wrapper, the variable broadcast with
 * its variable-list check, and data sharding. Every MPI symbol of nabla is in
 * this directory.
 *
 * The all-reduce is nabla's own, built on point-to-point messages, so that its
 * result is the same bits whatever the buffer layout (fused or not), the
 * number of segments or the MPI library's algorithm choice, and identical on
 * every rank: the buffer is cut in `size` chunks; rank r receives every rank's
 * part of chunk r (a reduce-scatter), adds them in rank order 0, 1, ..., size-1
 * (divides by size for Average), and sends its chunk to every rank (an
 * all-gather). Each rank sends and receives 2 (size-1)/size of the buffer, the
 * bandwidth of a ring all-reduce, in size-1 concurrent messages per phase.
 *
 * No call waits forever: every wait polls its requests (MPI_Testsome) against
 * a deadline (nb_dist_set_timeout, NABLA_DIST_TIMEOUT, default 120 s) and,
 * when it passes, fails naming the ranks that did not answer. The
 * communicator returns errors (MPI_ERRORS_RETURN) instead of aborting, so
 * they become statuses too. After such a failure the runtime is "broken":
 * every later collective fails at once, and the program should end the job
 * with nb_dist_abort (mpirun then stops every rank).
 *
 * Thread level: MPI_THREAD_SERIALIZED. The thread running a blocking
 * collective kernel (any thread: sessions may run from any) and the
 * communication thread of the overlapped all-reduce (see "Overlap") call MPI,
 * never at the same time (a mutex): FUNNELED would not allow the second
 * thread, and MULTIPLE is not needed. The kernels' OpenMP threads never call
 * MPI.
 */
#include "ops/ops_impl.h"
#include "train/train.h"
#include "ops/dist_async.h"
#include "grad/gradients_ready.h"

#include <inttypes.h>
#include <mpi.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { TAG_HDR = 4101, TAG_RS, TAG_AG, TAG_BC, TAG_GATHER, TAG_BLOB, TAG_CHAIN, TAG_RING };
enum { K_ALLREDUCE = 1, K_BROADCAST, K_ALLGATHER, K_VARCHECK };
#define SEG_BYTES ((size_t)64 << 20) /* all-reduce segment: chunk sizes stay < INT_MAX */
#define HDR_N (5 + NB_MAX_RANK)       /* kind, dtype, count, reduce op, rank, dims */
#define RING_SEG_BYTES ((size_t)1 << 20) /* pipelined ring all-reduce: segment */

/* The settings and the state flags are read by the communication thread and
 * by Start kernels without the MPI mutex while a program may set them from
 * another thread (nb_dist_set_*), so they are C11 atomics (plain accesses of
 * an _Atomic object are atomic, sequentially consistent). broken_msg is
 * written once, under mu, before broken is set (mark_broken), and read only
 * after broken was seen true. */
static struct {
    atomic_bool up, broken;
    bool we_init_mpi;
    MPI_Comm comm;
    int rank, size, local_rank, local_size;
    _Atomic double timeout;
    atomic_size_t fusion, overlap;
    atomic_bool overlap_auto; /* no size set: buckets of max(overlap, size * overlap_per_rank) */
    atomic_size_t overlap_per_rank;
    bool spin_yield;          /* more ranks on this node than cores: yield while spinning */
    atomic_int ring_ranks;    /* the pipelined ring all-reduce from this many ranks ... */
    atomic_size_t ring_bytes; /* ... and this many bytes */
    char broken_msg[400];
} D = {.timeout = 120.0, .fusion = (size_t)64 << 20, .overlap = (size_t)1 << 20, .overlap_auto = true,
       .overlap_per_rank = (size_t)64 << 10, .ring_ranks = 8,
       .ring_bytes = (size_t)1 << 20};
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* every MPI call is made holding it */

/* Marks the runtime broken with msg (mu held); the first failure's message stays. */
static void mark_broken(const char *msg) {
    if (atomic_load(&D.broken)) return;
    snprintf(D.broken_msg, sizeof D.broken_msg, "%s", msg);
    atomic_store(&D.broken, true);
}

/* The communication thread (see "Overlap" below). waits_entered counts
 * NablaAllreduceWait kernels entered; hurry, those blocked right now. */
static _Thread_local bool on_comm_thread;
static atomic_int hurry;
static atomic_llong waits_entered;

static void seterr(nb_error *err, nb_status code, const char *fmt, ...) NBI_PRINTF(3, 4);
static void seterr(nb_error *err, nb_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    nbi_vset_error(err, code, fmt, ap);
    va_end(ap);
}

/* The cores the ranks of this node may run on: the union of their affinity
 * masks (mpirun may bind each rank to its own core), a collective on local. */
static int cores_of_node(MPI_Comm local) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        for (long i = 0; i < c && i < CPU_SETSIZE; i++) CPU_SET((int)i, &set);
    }
    MPI_Allreduce(MPI_IN_PLACE, &set, (int)sizeof set, MPI_BYTE, MPI_BOR, local);
    int c = CPU_COUNT(&set);
    return c > 0 ? c : 1;
}

/*** Waiting with a deadline ***/

/* Cancels the live requests of req[0..n) and completes them: a cancelled
 * request, or one that completed meanwhile, is finished with MPI_Test (which
 * frees it) and no longer touches its buffer. Open MPI cannot cancel a send,
 * nor a receive already matched to a message in transit; such a request is
 * polled for up to 1 s and then released with MPI_Request_free, and MPI may
 * still read or write its buffer if the peer comes back. That only happens
 * after a failure, when the runtime is broken (every later collective fails
 * at once) and the program is expected to end the job (nb_dist_abort): the
 * buffers of a failed collective are not guaranteed to be left alone. */
static void cancel_requests(int n, MPI_Request *req) {
    for (int i = 0; i < n; i++)
        if (req[i] != MPI_REQUEST_NULL) MPI_Cancel(&req[i]);
    double t0 = MPI_Wtime();
    for (;;) {
        bool left = false;
        for (int i = 0; i < n; i++) {
            if (req[i] == MPI_REQUEST_NULL) continue;
            int done = 0;
            if (MPI_Test(&req[i], &done, MPI_STATUS_IGNORE) != MPI_SUCCESS || done) {
                if (req[i] != MPI_REQUEST_NULL) MPI_Request_free(&req[i]);
                req[i] = MPI_REQUEST_NULL;
            } else {
                left = true;
            }
        }
        if (!left) return;
        if (MPI_Wtime() - t0 > 1.0) break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < n; i++)
        if (req[i] != MPI_REQUEST_NULL) MPI_Request_free(&req[i]);
}

/* Waits for n requests; peer[i] is the rank request i talks to. On failure
 * fills msg (naming the ranks that did not answer), cancels what is left and
 * marks the runtime broken. */
static bool wait_all(int n, MPI_Request *req, const int *peer, const char *what, char *msg,
                     size_t msgn) {
    if (n == 0) return true;
    int *idx = malloc((size_t)n * sizeof *idx);
    if (!idx) {
        snprintf(msg, msgn, "out of memory waiting for %s", what);
        return false;
    }
    double t0 = MPI_Wtime();
    int left = n;
    bool ok = true;
    while (left > 0) {
        int done = 0;
        int rc = MPI_Testsome(n, req, &done, idx, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS) {
            char es[MPI_MAX_ERROR_STRING];
            int el = 0;
            MPI_Error_string(rc, es, &el);
            int who = -1;
            for (int i = 0; i < n && who < 0; i++)
                if (req[i] != MPI_REQUEST_NULL) who = peer[i];
            snprintf(msg, msgn, "%s failed on rank %d talking to rank %d: %s", what, D.rank, who, es);
            ok = false;
            break;
        }
        if (done == MPI_UNDEFINED) break;
        left -= done;
        if (left == 0) break;
        /* Spin for the first 2 ms, then poll every 50 us so that a long
         * wait costs no CPU. The spin yields the core (sched_yield) only
         * when this node has more ranks than cores (D.spin_yield), Open
         * MPI's own rule for mpi_yield_when_idle: on a loaded machine each
         * yield may hand the core to another process for a time slice while
         * the peer waits, and yielding on every poll made 0.5-4 MiB
         * all-reduces 10-40x slower than MPI_Allreduce at load 6-10
         * (src/dist/README.md, "All-reduce bandwidth"). The communication
         * thread spins only while the run thread is blocked on its result;
         * otherwise it polls every 50 us from the start, so that it leaves
         * the core to the backward kernels it overlaps. */
        double waited = MPI_Wtime() - t0;
        if (waited < 2e-3 && (!on_comm_thread || atomic_load(&hurry) > 0)) {
            if (D.spin_yield) sched_yield();
        } else {
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL);
            if (waited > D.timeout) {
                int m = snprintf(msg, msgn, "%s on rank %d: no answer from rank", what, D.rank);
                int listed = 0;
                for (int i = 0; i < n; i++) {
                    if (req[i] == MPI_REQUEST_NULL) continue;
                    bool seen = false;
                    for (int j = 0; j < i; j++) seen |= req[j] != MPI_REQUEST_NULL && peer[j] == peer[i];
                    if (seen || m < 0 || (size_t)m >= msgn) continue;
                    m += snprintf(msg + m, msgn - (size_t)m, "%s %d", listed++ ? "," : "", peer[i]);
                }
                if (m > 0 && (size_t)m < msgn)
                    snprintf(msg + m, msgn - (size_t)m,
                             " within %g s (dead, hung or not in this collective); ending the job "
                             "is up to the program (nb_dist_abort)", D.timeout);
                ok = false;
                break;
            }
        }
    }
    if (!ok) {
        cancel_requests(n, req);
        mark_broken(msg);
    }
    free(idx);
    return ok;
}

/*** Header agreement: every rank enters the same collective with matching data ***/

/* Sends my header to every peer and receives theirs into all[size][HDR_N]. */
static bool exchange_headers(const int64_t *mine, int64_t *all, const char *what, char *msg,
                             size_t msgn) {
    int n = D.size;
    memcpy(all + (size_t)D.rank * HDR_N, mine, HDR_N * sizeof *mine);
    if (n == 1) return true;
    MPI_Request *req = malloc(2 * (size_t)n * sizeof *req);
    int *peer = malloc(2 * (size_t)n * sizeof *peer);
    if (!req || !peer) {
        free(req), free(peer);
        snprintf(msg, msgn, "out of memory");
        return false;
    }
    int k = 0;
    for (int p = 0; p < n; p++) {
        if (p == D.rank) continue;
        MPI_Irecv(all + (size_t)p * HDR_N, HDR_N, MPI_INT64_T, p, TAG_HDR, D.comm, &req[k]);
        peer[k++] = p;
        MPI_Isend(mine, HDR_N, MPI_INT64_T, p, TAG_HDR, D.comm, &req[k]);
        peer[k++] = p;
    }
    bool ok = wait_all(k, req, peer, what, msg, msgn);
    free(req), free(peer);
    return ok;
}

static const char *kind_name(int64_t k) {
    return k == K_ALLREDUCE ? "an all-reduce" : k == K_BROADCAST ? "a broadcast"
           : k == K_ALLGATHER ? "an all-gather" : k == K_VARCHECK ? "the variable check" : "something else";
}

/* Checks that every rank's header matches mine in fields [0, nfields)
 * (allgather: kind, dtype, rank and dims[1..]). */
static bool check_headers(const int64_t *all, bool gather, const char *what, char *msg, size_t msgn) {
    const int64_t *me = all + (size_t)D.rank * HDR_N;
    for (int p = 0; p < D.size; p++) {
        const int64_t *h = all + (size_t)p * HDR_N;
        bool same = h[0] == me[0] && h[1] == me[1] &&
                    (gather || (h[2] == me[2] && h[3] == me[3] && h[5] == me[5]));
        if (same && gather) {
            same = h[4] == me[4];
            for (int d = 1; same && d < me[4]; d++) same = h[5 + d] == me[5 + d];
        }
        if (!same) {
            snprintf(msg, msgn,
                     "%s: ranks disagree: rank %d is in %s of %" PRId64 " %s elements, rank %d in "
                     "%s of %" PRId64 " %s elements%s",
                     what, p, kind_name(h[0]), h[2], nb_dtype_name((nb_dtype)h[1]), D.rank,
                     kind_name(me[0]), me[2], nb_dtype_name((nb_dtype)me[1]),
                     gather ? " (all-gather: the dims after the first must match)"
                     : h[0] == K_ALLREDUCE && h[5] != me[5] ? " (and the ranks chose different all-reduce "
                                                              "algorithms: nb_dist_set_ring must be the same "
                                                              "on every rank)"
                                                            : "");
            return false;
        }
    }
    return true;
}

/*** The all-reduce ***/

#define ADD_LOOP(T)                                              \
    do {                                                         \
        T *a = acc;                                              \
        const T *b = x;                                          \
        for (int64_t i = 0; i < n; i++) a[i] = (T)(a[i] + b[i]); \
    } while (0)

static void add_into(nb_dtype dt, void *acc, const void *x, int64_t n) {
    switch (dt) {
    case NB_FLOAT32: ADD_LOOP(float); break;
    case NB_FLOAT64: ADD_LOOP(double); break;
    case NB_INT32: { /* wraps, as TF's int32 addition does on CPU */
        int32_t *a = acc;
        const int32_t *b = x;
        for (int64_t i = 0; i < n; i++) a[i] = (int32_t)((uint32_t)a[i] + (uint32_t)b[i]);
        break;
    }
    case NB_INT64: {
        int64_t *a = acc;
        const int64_t *b = x;
        for (int64_t i = 0; i < n; i++) a[i] = (int64_t)((uint64_t)a[i] + (uint64_t)b[i]);
        break;
    }
    case NB_UINT8: ADD_LOOP(uint8_t); break;
    case NB_BOOL: { /* Sum of bools: logical or */
        bool *a = acc;
        const bool *b = x;
        for (int64_t i = 0; i < n; i++) a[i] = a[i] || b[i];
        break;
    }
    default: break;
    }
}

static void divide(nb_dtype dt, void *acc, int64_t n, int by) {
    if (dt == NB_FLOAT32) {
        float *a = acc;
        for (int64_t i = 0; i < n; i++) a[i] /= (float)by;
    } else if (dt == NB_FLOAT64) {
        double *a = acc;
        for (int64_t i = 0; i < n; i++) a[i] /= (double)by;
    }
}

/* All-reduces count elements at buf in place (see the file comment). */
static bool allreduce_buffer(void *buf, int64_t count, nb_dtype dt, int op, const char *what,
                             char *msg, size_t msgn) {
    int n = D.size;
    size_t es = nbi_dtype_size(dt);
    if (n == 1) return true; /* a sum over one rank; Average divides by 1 */
    int64_t seg = (int64_t)(SEG_BYTES / es);
    int64_t most = count < seg ? count : seg; /* the longest segment */
    size_t chunk_max = (size_t)((most + n - 1) / n) * es;
    char *tmp = malloc(chunk_max * (size_t)n + 1);
    MPI_Request *req = malloc(2 * (size_t)n * sizeof *req);
    int *peer = malloc(2 * (size_t)n * sizeof *peer);
    bool ok = tmp && req && peer;
    if (!ok) snprintf(msg, msgn, "%s: out of memory for the all-reduce buffers", what);
    for (int64_t s0 = 0; ok && s0 < count; s0 += seg) {
        int64_t len = count - s0 < seg ? count - s0 : seg;
        char *base = (char *)buf + (size_t)s0 * es;
        /* chunk p: [lo(p), lo(p+1)) */
#define LO(p) ((int64_t)(((__int128)len * (p)) / n))
        int64_t mlo = LO(D.rank), mhi = LO(D.rank + 1);
        int k = 0;
        for (int p = 0; p < n; p++) {
            if (p == D.rank) continue;
            MPI_Irecv(tmp + (size_t)p * chunk_max, (int)((mhi - mlo) * (int64_t)es), MPI_BYTE, p,
                      TAG_RS, D.comm, &req[k]);
            peer[k++] = p;
            MPI_Isend(base + (size_t)LO(p) * es, (int)((LO(p + 1) - LO(p)) * (int64_t)es), MPI_BYTE,
                      p, TAG_RS, D.comm, &req[k]);
            peer[k++] = p;
        }
        /* My own part goes in its slot, so the sum runs over ranks 0..n-1 in order. */
        memcpy(tmp + (size_t)D.rank * chunk_max, base + (size_t)mlo * es, (size_t)(mhi - mlo) * es);
        if (!(ok = wait_all(k, req, peer, what, msg, msgn))) break;
        for (int p = 1; p < n; p++) add_into(dt, tmp, tmp + (size_t)p * chunk_max, mhi - mlo);
        if (op == NBI_REDUCE_AVERAGE) divide(dt, tmp, mhi - mlo, n);
        memcpy(base + (size_t)mlo * es, tmp, (size_t)(mhi - mlo) * es);
        k = 0;
        for (int p = 0; p < n; p++) {
            if (p == D.rank) continue;
            MPI_Irecv(base + (size_t)LO(p) * es, (int)((LO(p + 1) - LO(p)) * (int64_t)es), MPI_BYTE, p,
                      TAG_AG, D.comm, &req[k]);
            peer[k++] = p;
            MPI_Isend(base + (size_t)mlo * es, (int)((mhi - mlo) * (int64_t)es), MPI_BYTE, p, TAG_AG,
                      D.comm, &req[k]);
            peer[k++] = p;
        }
        ok = wait_all(k, req, peer, what, msg, msgn);
#undef LO
    }
    free(tmp), free(req), free(peer);
    return ok;
}

static bool usable(char *msg, size_t msgn) {
    if (!D.up) {
        snprintf(msg, msgn, "nb_dist_init was not called");
        return false;
    }
    if (D.broken) {
        snprintf(msg, msgn, "the distributed runtime failed earlier: %s", D.broken_msg);
        return false;
    }
    return true;
}

static void fill_header(int64_t *h, int kind, nb_dtype dt, int64_t count, int op, int rank,
                        const int64_t *dims) {
    memset(h, 0, HDR_N * sizeof *h);
    h[0] = kind, h[1] = dt, h[2] = count, h[3] = op, h[4] = rank;
    for (int d = 0; d < rank; d++) h[5 + d] = dims[d];
}

/* Agrees on (kind, dtype, count, op) with every rank, then all-reduces. */
/* The pipelined ring all-reduce, for many ranks. The direct algorithm above
 * has the ring's traffic but posts size-1 messages per phase to every peer;
 * at 8 ranks and more a ring, where each rank talks only to its neighbours,
 * suits the network better. A textbook ring reduce-scatter adds each chunk in
 * a different rank order (chunk c from rank c+1 on), which would break "the
 * same bits whatever the fusion or the layout". So the reduction runs along
 * the chain 0 -> 1 -> ... -> size-1 for every segment (rank r receives the
 * rank-order partial sum of ranks 0..r-1, adds its own, passes it on:
 * exactly the direct algorithm's sum), pipelined in segments of 1 MiB; the
 * last rank divides (Average) and the result goes on around the ring
 * size-1 -> 0 -> 1 -> ... -> size-2. Each link carries the buffer once per
 * phase: 2 S / BW + (2 (size-1) + 2 segments) latencies, against the textbook
 * ring's 2 (size-1)/size S / BW + 2 (size-1) latencies (within 1/(size-1) of
 * it: 14 % at 8 ranks, 0.8 % at 128). Same bits as the direct algorithm
 * (tested at 2, 3 and 4 ranks with the ring forced). */
static bool allreduce_ring(void *vbuf, int64_t count, nb_dtype dt, int op, const char *what, char *msg,
                           size_t msgn) {
    int n = D.size, r = D.rank;
    if (n == 1 || count == 0) return true;
    char *buf = vbuf;
    size_t es = nbi_dtype_size(dt);
    int64_t seg = (int64_t)(RING_SEG_BYTES / es);
    if (seg > count) seg = count;
    int64_t k = (count + seg - 1) / seg;
    char *tmp = malloc(2 * (size_t)seg * es);
    MPI_Request *req = malloc((size_t)k * sizeof *req), rq = MPI_REQUEST_NULL;
    int *peer = malloc((size_t)k * sizeof *peer);
    if (!tmp || !req || !peer) {
        free(tmp), free(req), free(peer);
        snprintf(msg, msgn, "%s: out of memory for the all-reduce buffers", what);
        return false;
    }
#define SEG_LEN(j) ((int)((((j) + 1) * seg < count ? seg : count - (j) * seg) * (int64_t)es))
#define SEG_AT(j) (buf + (size_t)((j) * seg) * es)
    bool ok = true;
    for (int64_t j = 0; j < k; j++) req[j] = MPI_REQUEST_NULL, peer[j] = r + 1;
    /* Reduce along 0 -> 1 -> ... -> n-1. */
    if (r > 0) MPI_Irecv(tmp, SEG_LEN(0), MPI_BYTE, r - 1, TAG_CHAIN, D.comm, &rq);
    for (int64_t j = 0; j < k; j++) {
        if (r > 0) {
            int from = r - 1;
            if (!(ok = wait_all(1, &rq, &from, what, msg, msgn))) break;
            char *t = tmp + (size_t)(j & 1) * (size_t)seg * es;
            if (j + 1 < k) /* the next segment arrives while this one is added */
                MPI_Irecv(tmp + (size_t)((j + 1) & 1) * (size_t)seg * es, SEG_LEN(j + 1), MPI_BYTE, r - 1,
                          TAG_CHAIN, D.comm, &rq);
            int64_t len = SEG_LEN(j) / (int64_t)es;
            add_into(dt, t, SEG_AT(j), len);
            if (r == n - 1 && op == NBI_REDUCE_AVERAGE) divide(dt, t, len, n);
            memcpy(SEG_AT(j), t, (size_t)SEG_LEN(j));
        }
        if (r < n - 1) MPI_Isend(SEG_AT(j), SEG_LEN(j), MPI_BYTE, r + 1, TAG_CHAIN, D.comm, &req[j]);
    }
    if (ok) {
        ok = wait_all((int)k, req, peer, what, msg, msgn);
    } else {
        cancel_requests((int)k, req);
    }
    /* The result around the ring: n-1 -> 0 -> 1 -> ... -> n-2. */
    if (ok) {
        int from = (r + n - 1) % n, to = r + 1 < n - 1 ? r + 1 : r == n - 1 ? 0 : -1;
        for (int64_t j = 0; j < k; j++) {
            req[j] = MPI_REQUEST_NULL, peer[j] = from;
            if (r != n - 1) MPI_Irecv(SEG_AT(j), SEG_LEN(j), MPI_BYTE, from, TAG_RING, D.comm, &req[j]);
        }
        MPI_Request *fw = malloc((size_t)k * sizeof *fw);
        int *fpeer = malloc((size_t)k * sizeof *fpeer);
        if (!fw || !fpeer) {
            ok = false;
            snprintf(msg, msgn, "%s: out of memory for the all-reduce buffers", what);
            cancel_requests((int)k, req);
            free(fw), free(fpeer);
            fw = NULL, fpeer = NULL;
        }
        for (int64_t j = 0; ok && j < k; j++) fw[j] = MPI_REQUEST_NULL, fpeer[j] = to;
        for (int64_t j = 0; ok && j < k; j++) {
            if (r != n - 1 && !(ok = wait_all(1, &req[j], &from, what, msg, msgn))) break;
            if (to >= 0) MPI_Isend(SEG_AT(j), SEG_LEN(j), MPI_BYTE, to, TAG_RING, D.comm, &fw[j]);
        }
        if (ok) {
            ok = wait_all((int)k, fw, fpeer, what, msg, msgn);
        } else if (fw) { /* cancelled and completed or freed (see cancel_requests) */
            cancel_requests((int)k, req);
            cancel_requests((int)k, fw);
        }
        free(fw), free(fpeer);
    }
#undef SEG_LEN
#undef SEG_AT
    if (!ok) cancel_requests(1, &rq);
    free(tmp), free(req), free(peer);
    return ok;
}

/* Whether this all-reduce takes the ring (the same choice on every rank: the
 * header check compares it). */
static bool use_ring(int64_t count, nb_dtype dt) {
    return D.size >= D.ring_ranks && (size_t)count * nbi_dtype_size(dt) >= D.ring_bytes;
}

static bool agreed_allreduce(void *buf, int64_t count, nb_dtype dt, int op, const char *what,
                             char *msg, size_t msgn) {
    int64_t mine[HDR_N];
    bool ring = use_ring(count, dt);
    fill_header(mine, K_ALLREDUCE, dt, count, op, 0, NULL);
    mine[5] = ring; /* compared by check_headers */
    int64_t *all = malloc((size_t)D.size * HDR_N * sizeof *all);
    if (!all) {
        snprintf(msg, msgn, "out of memory");
        return false;
    }
    bool ok = exchange_headers(mine, all, what, msg, msgn) && check_headers(all, false, what, msg, msgn) &&
              (ring ? allreduce_ring(buf, count, dt, op, what, msg, msgn)
                    : allreduce_buffer(buf, count, dt, op, what, msg, msgn));
    free(all);
    return ok;
}

/*** Overlap: the communication thread ***/

/* The overlapped distributed optimizer splits each all-reduce in two ops. The
 * kernel of NablaAllreduceStart packs its inputs into a request and queues it
 * for the communication thread, which runs the very all-reduce above
 * (agreed_allreduce, same bits) while the run thread goes on with the backward
 * kernels of the layers below; NablaAllreduceWait, placed after the backward
 * pass, blocks until its request is done and unpacks the result. Requests are
 * done one at a time in the order they were started (the plan's order, the
 * same on every rank). Open MPI moves data only inside MPI calls, so the
 * thread's polling (wait_all) is also the progress engine.
 *
 * Thread level: still MPI_THREAD_SERIALIZED. Two threads call MPI (the run
 * thread for the blocking collectives, the communication thread), so FUNNELED
 * (main thread only) is not enough; they never do at the same time (mu), so
 * MULTIPLE is not needed, and it would cost every MPI call its internal locks.
 * Every blocking collective first drains the queue, so every rank makes its
 * collectives in program order whichever thread runs them. */
typedef struct areq {
    int64_t id;
    int n, op;
    nb_dtype dt;
    int64_t total;
    char *buf;
    int *rank;
    int64_t (*dims)[NB_MAX_RANK];
    int state; /* 0 queued, 1 running, 2 done */
    bool ok, sync; /* sync: a blocking all-reduce's (buf borrowed, not counted) */
    const void *key; /* the NablaAllreduceStart op that made it (NULL: sync) */
    bool waited;     /* a NablaAllreduceWait is waiting for it */
    bool orphan;     /* replaced by a newer start of its op: freed when done */
    long long w_post; /* waits_entered when it was started */
    char name[200], msg[600];
    struct areq *next;
} areq;

static struct {
    pthread_mutex_t mu; /* guards this struct; never held while taking the MPI mutex */
    pthread_cond_t work, done;
    pthread_t thread;
    bool running, stop;
    areq *head, *tail; /* every request not yet waited for, in start order */
    int64_t next_id;
    nb_dist_stats stats;
} Q = {.mu = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

static void areq_free(areq *r) {
    if (!r) return;
    if (!r->sync) free(r->buf);
    free(r->rank), free(r->dims), free(r);
}

/* Takes r off the list and frees it (Q.mu held). */
static void unlink_free(areq *r) {
    areq *prev = NULL;
    for (areq *p = Q.head; p && p != r; p = p->next) prev = p;
    if (prev) prev->next = r->next;
    else Q.head = r->next;
    if (Q.tail == r) Q.tail = prev;
    areq_free(r);
}

/* Orphaned requests. A run that fails (or is asked only for the handle)
 * between a NablaAllreduceStart and its Wait leaves the request, a copy of
 * the bucket, on the list. The next start of the same op replaces it: an
 * earlier request of that op that is done and that no Wait is waiting for is
 * freed now, one still queued or running is marked and freed by the
 * communication thread when done (it still runs: the other ranks make the
 * same all-reduce, in the same order). So at most one request per Start op
 * outlives its run. Runs of one graph from several threads at once are not
 * supported by the distributed optimizer (the ranks' all-reduce order would
 * differ); with them a Wait whose request a newer run replaced fails with
 * "no all-reduce request ... is pending". (Q.mu held.) */
static void replace_older(const areq *r) {
    for (areq *p = Q.head, *nx; p; p = nx) {
        nx = p->next;
        if (p->sync || p->key != r->key || p->waited) continue;
        if (p->state == 2) unlink_free(p);
        else p->orphan = true;
    }
}

static void *comm_main(void *arg) {
    (void)arg;
    on_comm_thread = true;
    pthread_mutex_lock(&Q.mu);
    for (;;) {
        areq *r = Q.head;
        while (r && r->state != 0) r = r->next;
        if (!r) {
            if (Q.stop) break;
            pthread_cond_wait(&Q.work, &Q.mu);
            continue;
        }
        r->state = 1;
        Q.stats.overlap_started += !r->sync && atomic_load(&waits_entered) == r->w_post;
        pthread_mutex_unlock(&Q.mu);
        pthread_mutex_lock(&mu);
        bool ok = usable(r->msg, sizeof r->msg) &&
                  agreed_allreduce(r->buf, r->total, r->dt, r->op, r->name, r->msg, sizeof r->msg);
        pthread_mutex_unlock(&mu);
        pthread_mutex_lock(&Q.mu);
        Q.stats.overlap_finished += !r->sync && atomic_load(&waits_entered) == r->w_post;
        r->ok = ok;
        r->state = 2;
        if (r->orphan) unlink_free(r);
        pthread_cond_broadcast(&Q.done);
    }
    pthread_mutex_unlock(&Q.mu);
    return NULL;
}

/* Queues r (starting the thread if needed); false if it cannot start. */
static bool comm_post(areq *r) {
    pthread_mutex_lock(&Q.mu);
    if (!Q.running) {
        Q.stop = false;
        if (pthread_create(&Q.thread, NULL, comm_main, NULL) != 0) {
            pthread_mutex_unlock(&Q.mu);
            return false;
        }
        Q.running = true;
    }
    r->id = ++Q.next_id;
    r->w_post = atomic_load(&waits_entered);
    if (!r->sync) replace_older(r);
    if (Q.tail) Q.tail->next = r;
    else Q.head = r;
    Q.tail = r;
    Q.stats.overlap_allreduces += !r->sync;
    pthread_cond_signal(&Q.work);
    pthread_mutex_unlock(&Q.mu);
    return true;
}

/* Waits until r is done and takes it off the list (Q.mu held). */
static void comm_wait_locked(areq *r) {
    atomic_fetch_add(&hurry, 1);
    while (r->state != 2) pthread_cond_wait(&Q.done, &Q.mu);
    atomic_fetch_sub(&hurry, 1);
    areq *prev = NULL;
    for (areq *p = Q.head; p && p != r; p = p->next) prev = p;
    if (prev) prev->next = r->next;
    else Q.head = r->next;
    if (Q.tail == r) Q.tail = prev;
}

int64_t nb_dist_pending_allreduces(void) {
    pthread_mutex_lock(&Q.mu);
    int64_t n = 0;
    for (areq *r = Q.head; r; r = r->next) n += !r->sync;
    pthread_mutex_unlock(&Q.mu);
    return n;
}

/* A blocking all-reduce op (HorovodAllreduce, HorovodGroupedAllreduce) is done
 * by the communication thread too: after the requests started before it (so
 * the order is the program's on every rank), and by a thread that sleeps
 * between messages, which the kernel's scheduler runs at once when it wakes,
 * where the compute thread polling for messages waits for its turn behind the
 * other processes of a loaded machine (fashion_mlp, 2 ranks, overlap off, at
 * load 15-17: 4,000-5,700 images/s polling on the run thread, 6,500-48,000
 * through this thread; src/dist/README.md). */
static bool comm_allreduce(void *buf, int64_t count, nb_dtype dt, int op, const char *what, char *msg,
                           size_t msgn) {
    areq *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(msg, msgn, "%s: out of memory", what);
        return false;
    }
    r->sync = true, r->buf = buf, r->total = count, r->dt = dt, r->op = op, r->n = 1;
    snprintf(r->name, sizeof r->name, "%s", what);
    if (!comm_post(r)) {
        areq_free(r);
        snprintf(msg, msgn, "%s: cannot start the communication thread", what);
        return false;
    }
    pthread_mutex_lock(&Q.mu);
    comm_wait_locked(r);
    pthread_mutex_unlock(&Q.mu);
    bool ok = r->ok;
    if (!ok) snprintf(msg, msgn, "%s", r->msg);
    areq_free(r);
    return ok;
}

/* Blocks until every started request is done (before a blocking collective). */
static void drain(void) {
    pthread_mutex_lock(&Q.mu);
    atomic_fetch_add(&hurry, 1);
    for (;;) {
        bool busy = false;
        for (areq *r = Q.head; r && !busy; r = r->next) busy = r->state != 2;
        if (!busy) break;
        pthread_cond_wait(&Q.done, &Q.mu);
    }
    atomic_fetch_sub(&hurry, 1);
    pthread_mutex_unlock(&Q.mu);
}

/* Stops the thread (after it has done what is queued) and frees every request. */
static void comm_stop(void) {
    pthread_mutex_lock(&Q.mu);
    bool was = Q.running;
    Q.stop = true;
    pthread_cond_broadcast(&Q.work);
    pthread_mutex_unlock(&Q.mu);
    if (was) pthread_join(Q.thread, NULL);
    pthread_mutex_lock(&Q.mu);
    while (Q.head) {
        areq *r = Q.head;
        Q.head = r->next;
        areq_free(r);
    }
    Q.tail = NULL;
    Q.running = Q.stop = false;
    pthread_mutex_unlock(&Q.mu);
}

/*** Kernels (installed into the registry's collective ops) ***/

static nb_status kfail(nbi_kctx *k, const char *msg) {
    return nbi_kerror(k, D.up && !D.broken ? NB_ERR_INVALID_ARGUMENT : NB_ERR_FAILED_PRECONDITION,
                      "%s", msg);
}

static nb_status k_allreduce(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    nb_tensor *y = nbi_kalloc(k, x->dtype, x->rank, x->dims);
    if (!y) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = y;
    if (x->nbytes) memcpy(y->data, x->data, x->nbytes);
    char msg[600];
    bool ok = comm_allreduce(y->data, y->size, y->dtype, k->op->attrs.axis, k->op->name, msg, sizeof msg);
    return ok ? NB_OK : kfail(k, msg);
}

/* The fused path: every input packed into one buffer, one all-reduce, unpacked.
 * Element for element the sums are those of separate all-reduces (rank order),
 * so fused and unfused results are the same bits. */
static nb_status k_grouped_allreduce(nbi_kctx *k) {
    int n = k->op->n_inputs;
    nb_dtype dt = k->in[0]->dtype;
    int64_t total = 0;
    for (int i = 0; i < n; i++) total += k->in[i]->size;
    size_t es = nbi_dtype_size(dt);
    char *buf = nbi_kscratch(k, (size_t)total * es + 1);
    if (!buf) return NB_ERR_OUT_OF_MEMORY;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        if (k->in[i]->nbytes) memcpy(buf + off, k->in[i]->data, k->in[i]->nbytes);
        off += k->in[i]->nbytes;
    }
    char msg[600];
    if (!comm_allreduce(buf, total, dt, k->op->attrs.axis, k->op->name, msg, sizeof msg)) return kfail(k, msg);
    off = 0;
    for (int i = 0; i < n; i++) {
        nb_tensor *y = nbi_kalloc(k, dt, k->in[i]->rank, k->in[i]->dims);
        if (!y) return NB_ERR_OUT_OF_MEMORY;
        k->out[i] = y;
        if (y->nbytes) memcpy(y->data, buf + off, y->nbytes);
        off += y->nbytes;
    }
    return NB_OK;
}

/* Root 0 sends its buffer to every rank; the others receive into theirs. */
static bool bcast_buffer(void *buf, size_t bytes, int tag, const char *what, char *msg, size_t msgn) {
    int n = D.size;
    if (n == 1) return true;
    MPI_Request *req = malloc((size_t)n * sizeof *req);
    int *peer = malloc((size_t)n * sizeof *peer);
    if (!req || !peer) {
        free(req), free(peer);
        snprintf(msg, msgn, "out of memory");
        return false;
    }
    bool ok = true;
    for (size_t at = 0; ok && (at < bytes || at == 0); at += SEG_BYTES) {
        int len = (int)(bytes - at < SEG_BYTES ? bytes - at : SEG_BYTES);
        int k = 0;
        if (D.rank == 0) {
            for (int p = 1; p < n; p++) {
                MPI_Isend((char *)buf + at, len, MPI_BYTE, p, tag, D.comm, &req[k]);
                peer[k++] = p;
            }
        } else {
            MPI_Irecv((char *)buf + at, len, MPI_BYTE, 0, tag, D.comm, &req[k]);
            peer[k++] = 0;
        }
        ok = wait_all(k, req, peer, what, msg, msgn);
        if (bytes == 0) break;
    }
    free(req), free(peer);
    return ok;
}

static nb_status k_broadcast(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    nb_tensor *y = nbi_kalloc(k, x->dtype, x->rank, x->dims);
    if (!y) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = y;
    if (x->nbytes) memcpy(y->data, x->data, x->nbytes);
    char msg[600];
    int64_t mine[HDR_N];
    fill_header(mine, K_BROADCAST, x->dtype, x->size, 0, 0, NULL);
    drain(); /* earlier started all-reduces come first, on every rank */
    pthread_mutex_lock(&mu);
    int64_t *all = malloc((size_t)D.size * HDR_N * sizeof *all);
    bool ok = usable(msg, sizeof msg);
    if (ok && !all) ok = false, snprintf(msg, sizeof msg, "out of memory");
    ok = ok && exchange_headers(mine, all, k->op->name, msg, sizeof msg) &&
         check_headers(all, false, k->op->name, msg, sizeof msg) &&
         bcast_buffer(y->data, y->nbytes, TAG_BC, k->op->name, msg, sizeof msg);
    pthread_mutex_unlock(&mu);
    free(all);
    return ok ? NB_OK : kfail(k, msg);
}

static nb_status k_allgather(nbi_kctx *k) {
    const nb_tensor *x = k->in[0];
    char msg[600];
    int n = D.size;
    int64_t mine[HDR_N];
    fill_header(mine, K_ALLGATHER, x->dtype, x->size, 0, x->rank, x->dims);
    drain(); /* earlier started all-reduces come first, on every rank */
    pthread_mutex_lock(&mu);
    int64_t *all = malloc((size_t)(n > 0 ? n : 1) * HDR_N * sizeof *all);
    MPI_Request *req = malloc(2 * (size_t)(n > 0 ? n : 1) * sizeof *req);
    int *peer = malloc(2 * (size_t)(n > 0 ? n : 1) * sizeof *peer);
    bool ok = usable(msg, sizeof msg);
    if (ok && (!all || !req || !peer)) ok = false, snprintf(msg, sizeof msg, "out of memory");
    ok = ok && exchange_headers(mine, all, k->op->name, msg, sizeof msg) &&
         check_headers(all, true, k->op->name, msg, sizeof msg);
    nb_tensor *y = NULL;
    if (ok) {
        int64_t dims[NB_MAX_RANK];
        memcpy(dims, x->dims, sizeof dims);
        dims[0] = 0;
        for (int p = 0; p < n; p++) dims[0] += all[(size_t)p * HDR_N + 5];
        y = nbi_kalloc(k, x->dtype, x->rank, dims);
        if (!y) {
            pthread_mutex_unlock(&mu);
            free(all), free(req), free(peer);
            return NB_ERR_OUT_OF_MEMORY;
        }
        k->out[0] = y;
        size_t es = nbi_dtype_size(x->dtype), row = es;
        for (int d = 1; d < x->rank; d++) row *= (size_t)x->dims[d];
        size_t off = 0, my_off = 0;
        int q = 0;
        for (int p = 0; p < n; p++) {
            size_t bytes = (size_t)all[(size_t)p * HDR_N + 5] * row;
            if (p == D.rank) {
                my_off = off;
            } else if (bytes > (size_t)INT32_MAX) {
                ok = false;
                snprintf(msg, sizeof msg, "%s: rank %d's part is over 2 GiB", k->op->name, p);
            } else {
                MPI_Irecv((char *)y->data + off, (int)bytes, MPI_BYTE, p, TAG_GATHER, D.comm, &req[q]);
                peer[q++] = p;
                MPI_Isend(x->data, (int)x->nbytes, MPI_BYTE, p, TAG_GATHER, D.comm, &req[q]);
                peer[q++] = p;
            }
            off += bytes;
        }
        if (x->nbytes) memcpy((char *)y->data + my_off, x->data, x->nbytes);
        ok = wait_all(q, req, peer, k->op->name, msg, sizeof msg) && ok;
    }
    pthread_mutex_unlock(&mu);
    free(all), free(req), free(peer);
    return ok ? NB_OK : kfail(k, msg);
}

/* NablaAllreduceStart: copies the inputs into a request, queues it, returns
 * its id (int64 scalar). */
static nb_status k_allreduce_start(nbi_kctx *k) {
    int n = k->op->n_inputs;
    nb_tensor *h = nbi_kalloc(k, NB_INT64, 0, NULL);
    if (!h) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = h;
    areq *r = calloc(1, sizeof *r);
    if (r) {
        r->n = n, r->op = k->op->attrs.axis, r->dt = k->in[0]->dtype;
        for (int i = 0; i < n; i++) r->total += k->in[i]->size;
        r->buf = malloc((size_t)r->total * nbi_dtype_size(r->dt) + 1);
        r->rank = malloc((size_t)n * sizeof *r->rank);
        r->dims = malloc((size_t)n * sizeof *r->dims);
    }
    if (!r || !r->buf || !r->rank || !r->dims) {
        areq_free(r);
        return nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "out of memory for the all-reduce request");
    }
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const nb_tensor *x = k->in[i];
        r->rank[i] = x->rank;
        memcpy(r->dims[i], x->dims, sizeof r->dims[i]);
        if (x->nbytes) memcpy(r->buf + off, x->data, x->nbytes);
        off += x->nbytes;
    }
    snprintf(r->name, sizeof r->name, "%s", k->op->name);
    r->key = k->op;
    /* The state check reads atomics only: the MPI mutex is held by the
     * communication thread for the whole of an all-reduce, and taking it here
     * made every Start wait for the previous bucket's all-reduce to end. */
    char msg[600];
    if (!usable(msg, sizeof msg)) {
        areq_free(r);
        return kfail(k, msg);
    }
    if (!comm_post(r)) {
        areq_free(r);
        return nbi_kerror(k, NB_ERR_INTERNAL, "cannot start the communication thread");
    }
    *(int64_t *)h->data = r->id;
    return NB_OK;
}

/* NablaAllreduceWait: waits for the request of its handle, unpacks it. */
static nb_status k_allreduce_wait(nbi_kctx *k) {
    int64_t id = *(const int64_t *)k->in[0]->data;
    atomic_fetch_add(&waits_entered, 1);
    pthread_mutex_lock(&Q.mu);
    areq *r = Q.head;
    while (r && (r->id != id || r->sync || r->orphan || r->waited)) r = r->next;
    if (!r) {
        pthread_mutex_unlock(&Q.mu);
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "no all-reduce request %" PRId64 " is pending (its NablaAllreduceStart did not "
                          "run in this process, it was waited for already, or a newer run of that "
                          "Start replaced it)", id);
    }
    r->waited = true;
    comm_wait_locked(r);
    pthread_mutex_unlock(&Q.mu);
    nb_status st = NB_OK;
    if (!r->ok) {
        st = kfail(k, r->msg);
    } else if (r->n != k->op->n_outputs) {
        st = nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "all-reduce request %" PRId64 " has %d tensors, not %d",
                        id, r->n, k->op->n_outputs);
    } else {
        size_t off = 0;
        for (int i = 0; i < r->n && st == NB_OK; i++) {
            nb_tensor *y = nbi_kalloc(k, r->dt, r->rank[i], r->dims[i]);
            if (!y) {
                st = NB_ERR_OUT_OF_MEMORY;
                break;
            }
            k->out[i] = y;
            if (y->nbytes) memcpy(y->data, r->buf + off, y->nbytes);
            off += y->nbytes;
        }
    }
    areq_free(r);
    return st;
}

static const nbi_dist_async_hooks async_hooks = {k_allreduce_start, k_allreduce_wait};

static const nbi_dist_hooks hooks = {k_allreduce, k_grouped_allreduce, k_broadcast, k_allgather};

/*** Runtime ***/

bool nb_dist_launched(void) {
    /* Open MPI's launcher sets these in every process it starts. */
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

nb_status nb_dist_init(int *argc, char ***argv, nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    pthread_mutex_lock(&mu);
    if (D.up) {
        pthread_mutex_unlock(&mu);
        return NB_OK;
    }
    int inited = 0, provided = 0;
    MPI_Initialized(&inited);
    if (!inited) {
        if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
            pthread_mutex_unlock(&mu);
            seterr(err, NB_ERR_INTERNAL, "MPI_Init_thread failed");
            return NB_ERR_INTERNAL;
        }
        D.we_init_mpi = true;
    } else {
        MPI_Query_thread(&provided);
    }
    if (provided < MPI_THREAD_SERIALIZED) {
        if (D.we_init_mpi) MPI_Finalize();
        D.we_init_mpi = false;
        pthread_mutex_unlock(&mu);
        seterr(err, NB_ERR_FAILED_PRECONDITION,
               "the MPI library gives thread level %d; nabla needs MPI_THREAD_SERIALIZED (%d)", provided,
               MPI_THREAD_SERIALIZED);
        return NB_ERR_FAILED_PRECONDITION;
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &D.comm);
    MPI_Comm_set_errhandler(D.comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(D.comm, &D.rank);
    MPI_Comm_size(D.comm, &D.size);
    MPI_Comm local;
    MPI_Comm_split_type(D.comm, MPI_COMM_TYPE_SHARED, D.rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &D.local_rank);
    MPI_Comm_size(local, &D.local_size);
    D.spin_yield = D.local_size > cores_of_node(local);
    const char *y = getenv("NABLA_DIST_YIELD"); /* 1 always, 0 never; unset: the rule above */
    if (y && (*y == '0' || *y == '1')) D.spin_yield = *y == '1';
    MPI_Comm_free(&local);
    const char *t = getenv("NABLA_DIST_TIMEOUT");
    if (t && atof(t) > 0) D.timeout = atof(t);
    const char *f = getenv("NABLA_FUSION_THRESHOLD");
    if (f && *f) D.fusion = (size_t)strtoull(f, NULL, 10);
    D.broken = false;
    const char *rg = getenv("NABLA_DIST_RING"); /* "ranks,bytes" */
    if (rg && *rg) {
        char *end = NULL;
        long rr = strtol(rg, &end, 10);
        nb_dist_set_ring((int)rr, end && *end == ',' ? (size_t)strtoull(end + 1, NULL, 10) : D.ring_bytes);
    }
    const char *o = getenv("NABLA_DIST_OVERLAP");
    if (o && *o) {
        D.overlap = (size_t)strtoull(o, NULL, 10);
        D.overlap_auto = false;
    }
    const char *opr = getenv("NABLA_DIST_OVERLAP_PER_RANK");
    if (opr && *opr) D.overlap_per_rank = (size_t)strtoull(opr, NULL, 10);
    D.up = true;
    nbi_dist_install(&hooks);
    nbi_dist_install_async(&async_hooks);
    pthread_mutex_unlock(&mu);
    return NB_OK;
}

nb_status nb_dist_finalize(void) {
    comm_stop(); /* before taking mu: the thread finishes what is queued (or times out) */
    pthread_mutex_lock(&mu);
    if (!D.up) {
        pthread_mutex_unlock(&mu);
        return NB_OK;
    }
    nbi_dist_install(NULL);
    nbi_dist_install_async(NULL);
    D.up = false;
    if (D.broken) { /* a peer is gone: MPI_Finalize could wait for it forever */
        pthread_mutex_unlock(&mu);
        return NB_ERR_FAILED_PRECONDITION;
    }
    MPI_Comm_free(&D.comm);
    if (D.we_init_mpi) MPI_Finalize();
    D.we_init_mpi = false;
    pthread_mutex_unlock(&mu);
    return NB_OK;
}

void nb_dist_abort(int code) {
    int inited = 0, fin = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&fin);
    if (inited && !fin) MPI_Abort(MPI_COMM_WORLD, code);
}

int nb_dist_rank(void) { return D.up ? D.rank : 0; }
int nb_dist_size(void) { return D.up ? D.size : 1; }
int nb_dist_local_rank(void) { return D.up ? D.local_rank : 0; }
int nb_dist_local_size(void) { return D.up ? D.local_size : 1; }
bool nb_dist_is_root(void) { return nb_dist_rank() == 0; }
void nb_dist_set_timeout(double seconds) {
    if (seconds > 0) D.timeout = seconds;
}
double nb_dist_get_timeout(void) { return D.timeout; }
void nb_dist_set_fusion_threshold(size_t bytes) { D.fusion = bytes; }
size_t nb_dist_get_fusion_threshold(void) { return D.fusion; }
void nb_dist_set_overlap(size_t bucket_bytes) {
    D.overlap = bucket_bytes;
    D.overlap_auto = false;
}

/* The overlap bucket. By default max(1 MiB, ranks x 64 KiB): a bucket's ring
 * all-reduce costs 2 (p-1) latencies a + 2 (p-1)/p S / BW, and splitting the
 * gradients into one more bucket only pays when the bytes it lets start early
 * outweigh one more bucket's latencies, i.e. S > p a BW: 25 KB per rank on
 * 10 Gbit/s TCP (a = 20 us), 62.5 KB on 100 Gbit/s (5 us). With 1 MiB buckets
 * at 32 and 128 machines the 1.08 MB MLP paid its 2 (p-1) latencies twice and
 * was slower overlapped than blocking (src/dist/README.md, "Scaling on
 * paper"). An explicit size (nb_dist_set_overlap, NABLA_DIST_OVERLAP) is used
 * as it is. */
static size_t overlap_bucket(void) {
    if (!D.overlap_auto || D.overlap == 0) return D.overlap;
    size_t n = (size_t)(D.size > 1 ? D.size : 1);
    size_t scaled = D.overlap_per_rank > SIZE_MAX / n ? SIZE_MAX : n * D.overlap_per_rank;
    return scaled > D.overlap ? scaled : D.overlap;
}
void nb_dist_get_ring(int *min_ranks, size_t *min_bytes) {
    if (min_ranks) *min_ranks = D.ring_ranks;
    if (min_bytes) *min_bytes = D.ring_bytes;
}
void nb_dist_set_ring(int min_ranks, size_t min_bytes) {
    D.ring_ranks = min_ranks < 1 ? 1 : min_ranks;
    D.ring_bytes = min_bytes;
}
size_t nb_dist_get_overlap(void) { return overlap_bucket(); }
void nb_dist_get_stats(nb_dist_stats *stats) {
    if (!stats) return;
    pthread_mutex_lock(&Q.mu);
    *stats = Q.stats;
    pthread_mutex_unlock(&Q.mu);
}

nb_status nb_dist_allreduce_buffer(void *data, int64_t count, nb_dtype dtype, nb_dist_reduce op,
                                   nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    if (count < 0 || (count > 0 && !data) || nbi_dtype_size(dtype) == 0 ||
        (op != NB_DIST_AVERAGE && op != NB_DIST_SUM) || (op == NB_DIST_AVERAGE && !nbi_dtype_is_float(dtype))) {
        seterr(err, NB_ERR_INVALID_ARGUMENT,
               "nb_dist_allreduce_buffer: bad arguments (count %" PRId64 ", dtype %d, op %d)", count,
               (int)dtype, (int)op);
        return NB_ERR_INVALID_ARGUMENT;
    }
    /* On the calling thread (after the started requests): for the small
     * all-reduces a program makes itself (a loss, a barrier), handing over to
     * the communication thread costs two wake-ups (measured ~140 us at load
     * 17 against ~8 us here for 4 KiB; bench/dist/bench_allreduce). */
    char msg[600];
    drain();
    pthread_mutex_lock(&mu);
    bool ok = usable(msg, sizeof msg) &&
              agreed_allreduce(data, count, dtype, (int)op, "nb_dist_allreduce_buffer", msg, sizeof msg);
    pthread_mutex_unlock(&mu);
    if (!ok) seterr(err, NB_ERR_FAILED_PRECONDITION, "%s", msg);
    return ok ? NB_OK : NB_ERR_FAILED_PRECONDITION;
}

nb_status nb_dist_barrier(nb_error *err) {
    float z = 0;
    return nb_dist_allreduce_buffer(&z, 1, NB_FLOAT32, NB_DIST_SUM, err);
}

/*** Op constructors ***/

nb_output nb_dist_allreduce(nb_graph *g, nb_output x, nb_dist_reduce op, const char *name) {
    nb_op *o = nbi_op_new(g, NBI_OP_DIST_ALLREDUCE, name, "HorovodAllreduce", &x, 1);
    if (!o) return nb_nil;
    o->attrs.axis = (int)op;
    return nbi_op_finish(o);
}

void nb_dist_grouped_allreduce(nb_graph *g, const nb_output *xs, int n, nb_dist_reduce op,
                               const char *name, nb_output *ys) {
    if (!ys) {
        if (g) nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_dist_grouped_allreduce: ys is NULL");
        return;
    }
    for (int i = 0; i < n; i++) ys[i] = nb_nil;
    if (n <= 0 || !xs) {
        if (g) nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_dist_grouped_allreduce: no inputs");
        return;
    }
    nb_op *o = nbi_op_new(g, NBI_OP_DIST_GROUPED_ALLREDUCE, name, "HorovodGroupedAllreduce", xs, n);
    if (!o) return;
    o->attrs.axis = (int)op;
    if (nb_output_is_nil(nbi_op_finish(o))) return;
    for (int i = 0; i < n; i++) ys[i] = nbi_out(o, i);
}

nb_output nb_dist_broadcast(nb_graph *g, nb_output x, const char *name) {
    nb_op *o = nbi_op_new(g, NBI_OP_DIST_BROADCAST, name, "HorovodBroadcast", &x, 1);
    return o ? nbi_op_finish(o) : nb_nil;
}

nb_output nb_dist_allgather(nb_graph *g, nb_output x, const char *name) {
    nb_op *o = nbi_op_new(g, NBI_OP_DIST_ALLGATHER, name, "HorovodAllgather", &x, 1);
    return o ? nbi_op_finish(o) : nb_nil;
}

/*** The overlapped distributed optimizer ***/

/* The buckets are planned before the backward pass is built, in the order it
 * will finish the gradients: a variable's gradient is final once the gradient
 * op of its consumer of lowest id is built (nbi_gradients_ready), so that
 * order is the consumers' ids from the highest (the top layer's first). Each
 * bucket holds consecutive variables of one dtype whose bytes stay within the
 * cap; when its last gradient is made, its NablaAllreduceStart is created at
 * once, so that in creation order (the executor's) it comes before the
 * gradient ops of the layers below. */
typedef struct bucketer {
    nb_graph *g;
    nb_output *grads;
    int op;
    int *bucket_of, *left; /* per variable; per bucket: gradients not yet made */
    int *first, *len;      /* per bucket: its variables are order[first .. first + len) */
    int *order;
    nb_output *handles; /* per started bucket, in start order */
    int *started;       /* bucket index per start */
    int n_buckets, n_started;
    char *scope; /* "DistributedOptimizer/" once made */
} bucketer;

static void bucket_scope_push(bucketer *b) {
    nb_name_scope_push(b->g, NULL); /* root, not inside "gradients/" */
    const char *s = nb_name_scope_push(b->g, b->scope ? b->scope : "DistributedOptimizer");
    if (!b->scope) b->scope = nbi_strdup(s);
}

static void bucket_scope_pop(bucketer *b) {
    nb_name_scope_pop(b->g);
    nb_name_scope_pop(b->g);
}

static void bucket_start(bucketer *b, int q) {
    nb_output xs[64], *x = b->len[q] <= 64 ? xs : malloc((size_t)b->len[q] * sizeof *x);
    if (!x) {
        nbi_graph_error(b->g, NB_ERR_OUT_OF_MEMORY, "out of memory");
        return;
    }
    int m = 0;
    for (int j = 0; j < b->len[q]; j++) {
        nb_output dx = b->grads[b->order[b->first[q] + j]];
        if (!nb_output_is_nil(dx)) x[m++] = dx;
    }
    if (m > 0) {
        bucket_scope_push(b);
        nb_op *o = nbi_op_new(b->g, NBI_OP_DIST_ALLREDUCE_START, NULL, "NablaAllreduceStart", x, m);
        if (o) {
            o->attrs.axis = b->op;
            b->handles[b->n_started] = nbi_op_finish(o);
            b->started[b->n_started++] = q;
        }
        bucket_scope_pop(b);
    }
    if (x != xs) free(x);
}

static void bucket_ready(void *ctx, int i, nb_output dx) {
    bucketer *b = ctx;
    b->grads[i] = dx;
    int q = b->bucket_of[i];
    if (--b->left[q] == 0 && nbi_graph_ok(b->g)) bucket_start(b, q);
}

/* A gradient has its variable's shape, which is known even where the
 * gradient's static shape is not (BiasAdd's, Reshape's). */
static size_t var_bytes(nb_output var, bool *known) {
    nb_shape s = nb_output_shape(var);
    size_t b = nbi_dtype_size(nb_output_dtype(var));
    *known = s.rank >= 0;
    for (int d = 0; d < s.rank; d++) {
        if (s.dims[d] < 0) *known = false;
        else b *= (size_t)s.dims[d];
    }
    return b;
}

static void compute_gradients_overlapped(nb_graph *g, nb_output loss, const nb_output *vars, int n_vars,
                                         nb_dist_reduce op, nb_output *grads) {
    for (int i = 0; i < n_vars; i++)
        if (!nb_variable_op(vars[i])) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "'%s' is not a variable",
                            vars[i].op ? vars[i].op->name : "(nil)");
            return;
        }
    size_t nv = (size_t)(n_vars > 0 ? n_vars : 1);
    size_t bucket = overlap_bucket(), fusion = D.fusion, cap = bucket < fusion ? bucket : fusion;
    bucketer b = {.g = g, .grads = grads, .op = (int)op};
    int64_t *key = malloc(nv * sizeof *key);
    b.bucket_of = malloc(nv * sizeof(int)), b.left = malloc(nv * sizeof(int));
    b.first = malloc(nv * sizeof(int)), b.len = malloc(nv * sizeof(int));
    b.order = malloc(nv * sizeof(int)), b.started = malloc(nv * sizeof(int));
    b.handles = malloc(nv * sizeof *b.handles);
    if (!key || !b.bucket_of || !b.left || !b.first || !b.len || !b.order || !b.started || !b.handles) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory");
        goto out;
    }
    /* The order the gradients will be made: by their variable's consumer of
     * lowest id, highest first (-1: no consumer, made last). */
    for (int i = 0; i < n_vars; i++) {
        key[i] = -1;
        nb_op *v = vars[i].op;
        for (int id = g->n_ops - 1; id > v->id; id--)
            for (int j = 0; j < g->ops[id]->n_inputs; j++)
                if (g->ops[id]->inputs[j].op == v && g->ops[id]->inputs[j].index == vars[i].index) key[i] = id;
        b.order[i] = i;
    }
    for (int a = 1; a < n_vars; a++) { /* stable insertion sort, highest key first */
        int i = b.order[a], c = a;
        for (; c > 0 && key[b.order[c - 1]] < key[i]; c--) b.order[c] = b.order[c - 1];
        b.order[c] = i;
    }
    size_t bytes = 0;
    for (int k = 0; k < n_vars; k++) {
        int i = b.order[k];
        bool known;
        size_t vb = var_bytes(vars[i], &known);
        int q = b.n_buckets - 1;
        bool join = q >= 0 && b.len[q] > 0 && known && bytes < cap && bytes + vb <= cap &&
                    nb_output_dtype(vars[b.order[b.first[q]]]) == nb_output_dtype(vars[i]);
        if (!join) {
            q = b.n_buckets++;
            b.first[q] = k, b.len[q] = 0, b.left[q] = 0, bytes = 0;
        }
        b.len[q]++, b.left[q]++;
        b.bucket_of[i] = q;
        bytes = known ? bytes + vb : cap; /* an unknown size closes its bucket */
    }
    nbi_gradients_ready(g, &loss, 1, vars, n_vars, NULL, grads, bucket_ready, &b);
    /* The waits, in start order, after the whole backward pass. */
    bucket_scope_push(&b);
    for (int s = 0; s < b.n_started && nbi_graph_ok(g); s++) {
        nb_op *w = nbi_op_new(g, NBI_OP_DIST_ALLREDUCE_WAIT, NULL, "NablaAllreduceWait", &b.handles[s], 1);
        if (!w || nb_output_is_nil(nbi_op_finish(w))) break;
        int q = b.started[s], m = 0;
        for (int j = 0; j < b.len[q]; j++) {
            int i = b.order[b.first[q] + j];
            if (!nb_output_is_nil(grads[i])) grads[i] = nbi_out(w, m++);
        }
    }
    bucket_scope_pop(&b);
out:
    if (!nbi_graph_ok(g))
        for (int i = 0; i < n_vars; i++) grads[i] = nb_nil;
    free(key), free(b.bucket_of), free(b.left), free(b.first), free(b.len), free(b.order), free(b.started);
    free(b.handles);
    nbi_free(b.scope);
}

/*** Distributed optimizer ***/

/* The one implementation of the distributed gradients, behind both
 * nb_dist_compute_gradients (C) and nb_dist_gradients (C, and Python's
 * DistributedOptimizer through python/nabla/_nabla_dist.c). opt NULL: the
 * plain backward pass (nb_gradients, which is what every optimizer's
 * compute_gradients is). */
static void dist_gradients(nb_optimizer *opt, nb_output loss, const nb_output *vars, int n_vars,
                           nb_dist_reduce op, nb_output *grads) {
    if (!grads || !loss.op) return;
    nb_graph *g = loss.op->graph;
    if (n_vars < 0 || (!vars && n_vars > 0)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "distributed gradients: bad variable list (%d)", n_vars);
        return;
    }
    if (D.overlap > 0) {
        if (nbi_graph_ok(g)) compute_gradients_overlapped(g, loss, vars, n_vars, op, grads);
        return;
    }
    if (opt) {
        nb_optimizer_compute_gradients(opt, loss, vars, n_vars, grads);
    } else {
        for (int i = 0; i < n_vars; i++)
            if (!nb_variable_op(vars[i])) {
                nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "'%s' is not a variable",
                                vars[i].op ? vars[i].op->name : "(nil)");
                return;
            }
        nb_gradients(g, &loss, 1, vars, n_vars, NULL, grads);
    }
    if (!nbi_graph_ok(g)) return;
    /* Gradients come in variable order; the last layer's are made first by the
     * backward pass, so walk from the last variable: groups form in the order
     * the gradients become ready. Consecutive gradients of one dtype join a
     * group while its bytes stay within the fusion threshold; a group of one
     * is a plain HorovodAllreduce. */
    int *members = malloc((size_t)(n_vars > 0 ? n_vars : 1) * sizeof *members);
    nb_output *xs = malloc((size_t)(n_vars > 0 ? n_vars : 1) * sizeof *xs);
    nb_output *ys = malloc((size_t)(n_vars > 0 ? n_vars : 1) * sizeof *ys);
    if (!members || !xs || !ys) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory");
        free(members), free(xs), free(ys);
        return;
    }
    nb_name_scope_push(g, "DistributedOptimizer");
    int i = n_vars - 1;
    while (i >= 0) {
        if (nb_output_is_nil(grads[i])) {
            i--;
            continue;
        }
        nb_dtype dt = nb_output_dtype(grads[i]);
        int m = 0;
        size_t bytes = 0;
        for (; i >= 0; i--) {
            if (nb_output_is_nil(grads[i])) continue;
            /* a gradient has its variable's shape, which is known even where
             * the gradient's static shape is not (BiasAdd's, Reshape's) */
            nb_shape s = nb_output_shape(vars[i]);
            size_t b = nbi_dtype_size(dt);
            bool known = true;
            for (int d = 0; d < s.rank; d++) {
                if (s.dims[d] < 0) known = false;
                else b *= (size_t)s.dims[d];
            }
            if (nb_output_dtype(grads[i]) != dt || !known || (m > 0 && bytes + b > D.fusion)) break;
            bytes += b;
            members[m++] = i;
            if (m == 1 && b > D.fusion) {
                i--;
                break;
            }
        }
        if (m == 0) { /* unknown shape: alone */
            members[m++] = i--;
        }
        if (m == 1) {
            grads[members[0]] = nb_dist_allreduce(g, grads[members[0]], op, NULL);
        } else {
            for (int j = 0; j < m; j++) xs[j] = grads[members[j]];
            nb_dist_grouped_allreduce(g, xs, m, op, NULL, ys);
            for (int j = 0; j < m; j++) grads[members[j]] = ys[j];
        }
    }
    nb_name_scope_pop(g);
    free(members), free(xs), free(ys);
}

void nb_dist_compute_gradients(nb_optimizer *opt, nb_output loss, const nb_output *vars, int n_vars,
                               nb_dist_reduce op, nb_output *grads) {
    if (!opt) return; /* as nb_optimizer_compute_gradients */
    dist_gradients(opt, loss, vars, n_vars, op, grads);
}

void nb_dist_gradients(nb_output loss, const nb_output *vars, int n_vars, nb_dist_reduce op,
                       nb_output *grads) {
    dist_gradients(NULL, loss, vars, n_vars, op, grads);
}

nb_output nb_dist_minimize(nb_optimizer *opt, nb_output loss, const nb_output *vars, int n_vars,
                           nb_dist_reduce op, nb_output global_step) {
    if (!loss.op || !nbi_graph_ok(loss.op->graph)) return nb_nil;
    nb_graph *g = loss.op->graph;
    nb_output *vl = NULL;
    n_vars = nbi_minimize_var_list(g, &vars, n_vars, &vl);
    if (n_vars < 0) return nb_nil;
    nb_output *grads = nbi_calloc((size_t)n_vars, sizeof *grads);
    nb_output r = nb_nil;
    if (!grads) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory");
    } else {
        nb_dist_compute_gradients(opt, loss, vars, n_vars, op, grads);
        r = nb_optimizer_apply_gradients(opt, grads, vars, n_vars, global_step);
    }
    nbi_free(grads);
    nbi_free(vl);
    return r;
}

/*** Variables: the list check and the broadcast from rank 0 ***/

/* "name dtype [d0,d1]\n" per variable (malloc'd). */
static char *var_list_text(nb_graph *g, size_t *len) {
    size_t cap = 256, n = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[0] = 0;
    for (int i = 0; i < g->n_vars; i++) {
        nb_op *v = g->vars[i];
        char dims[160];
        nbi_dims_string(v->out_shape[0].rank, v->out_shape[0].dims, false, dims, sizeof dims);
        size_t need = strlen(v->name) + strlen(dims) + 32;
        if (n + need >= cap) {
            cap = 2 * (n + need);
            char *t = realloc(s, cap);
            if (!t) {
                free(s);
                return NULL;
            }
            s = t;
        }
        n += (size_t)snprintf(s + n, cap - n, "%s %s %s\n", v->name, nb_dtype_name(v->out_dtype[0]), dims);
    }
    *len = n;
    return s;
}

/* Compares every rank's variable list with rank 0's. */
static bool check_var_lists(nb_graph *g, char *msg, size_t msgn) {
    size_t len = 0;
    char *mine = var_list_text(g, &len);
    if (!mine) {
        snprintf(msg, msgn, "out of memory");
        return false;
    }
    int64_t hdr[HDR_N];
    fill_header(hdr, K_VARCHECK, NB_UINT8, (int64_t)len, 0, 1, (int64_t[]){g->n_vars});
    int64_t *all = malloc((size_t)D.size * HDR_N * sizeof *all);
    bool ok = all && exchange_headers(hdr, all, "variable-list check", msg, msgn);
    if (!all) snprintf(msg, msgn, "out of memory");
    char *root = NULL;
    if (ok) {
        for (int p = 0; p < D.size && ok; p++)
            if (all[(size_t)p * HDR_N] != K_VARCHECK) {
                ok = false;
                snprintf(msg, msgn, "variable-list check: rank %d is in %s instead", p,
                         kind_name(all[(size_t)p * HDR_N]));
            }
    }
    if (ok) {
        size_t rlen = (size_t)all[2];
        root = malloc(rlen + 1);
        if (!root) ok = false, snprintf(msg, msgn, "out of memory");
        if (ok && D.rank == 0) memcpy(root, mine, rlen);
        ok = ok && bcast_buffer(root, rlen, TAG_BLOB, "variable-list check", msg, msgn);
        if (ok) root[rlen] = 0;
        /* Rank 0's list is the reference; each rank reports its own difference,
         * and rank 0 names every rank whose list differs (by size and count). */
        if (ok && (rlen != len || memcmp(root, mine, len))) {
            const char *a = root, *b = mine;
            int line = 0;
            while (*a && *b) {
                const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
                if (ea - a != eb - b || memcmp(a, b, (size_t)(ea - a))) break;
                a = ea + 1, b = eb + 1, line++;
            }
            int la = *a ? (int)(strchr(a, '\n') - a) : 0, lb = *b ? (int)(strchr(b, '\n') - b) : 0;
            snprintf(msg, msgn,
                     "variable lists differ between ranks (the graphs are not the same): rank %d has %d "
                     "variables, rank 0 has %" PRId64 "; variable %d is %s%.*s%s on rank 0 and %s%.*s%s on "
                     "rank %d",
                     D.rank, g->n_vars, all[5], line, *a ? "'" : "", *a ? la : 4, *a ? a : "none",
                     *a ? "'" : "", *b ? "'" : "", *b ? lb : 4, *b ? b : "none", *b ? "'" : "", D.rank);
            ok = false;
        }
        if (ok && D.rank == 0) {
            for (int p = 1; p < D.size; p++)
                if (all[(size_t)p * HDR_N + 2] != (int64_t)len || all[(size_t)p * HDR_N + 5] != g->n_vars) {
                    snprintf(msg, msgn,
                             "variable lists differ between ranks (the graphs are not the same): rank %d "
                             "has %" PRId64 " variables, rank 0 has %d",
                             p, all[(size_t)p * HDR_N + 5], g->n_vars);
                    ok = false;
                    break;
                }
        }
    }
    /* Every rank learns which ranks found a difference, so none goes on alone. */
    if (ok || !D.broken) {
        int32_t *bad = calloc((size_t)D.size, sizeof *bad);
        char m2[600];
        if (bad) {
            bad[D.rank] = !ok;
            if (allreduce_buffer(bad, D.size, NB_INT32, NBI_REDUCE_SUM, "variable-list check", ok ? msg : m2,
                                 ok ? msgn : sizeof m2)) {
                for (int p = 0; p < D.size && ok; p++)
                    if (bad[p]) {
                        snprintf(msg, msgn,
                                 "variable lists differ between ranks (the graphs are not the same): "
                                 "rank %d's list differs from rank 0's (its own message names the variable)",
                                 p);
                        ok = false;
                    }
            } else {
                ok = false;
            }
            free(bad);
        } else if (ok) {
            ok = false;
            snprintf(msg, msgn, "out of memory");
        }
    }
    free(mine), free(all), free(root);
    return ok;
}

nb_output nb_dist_broadcast_global_variables(nb_graph *g, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    char msg[900];
    drain(); /* earlier started all-reduces come first, on every rank */
    pthread_mutex_lock(&mu);
    bool ok = usable(msg, sizeof msg) && check_var_lists(g, msg, sizeof msg);
    pthread_mutex_unlock(&mu);
    if (!ok) {
        nbi_graph_error(g, NB_ERR_FAILED_PRECONDITION, "nb_dist_broadcast_global_variables: %s", msg);
        return nb_nil;
    }
    int n = g->n_vars;
    nb_output *assigns = calloc((size_t)(n > 0 ? n : 1), sizeof *assigns);
    if (!assigns) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory");
        return nb_nil;
    }
    nb_name_scope_push(g, "broadcast_global_variables");
    for (int i = 0; i < n; i++) {
        nb_output v = nb_graph_variable(g, i);
        assigns[i] = nb_assign(g, v, nb_dist_broadcast(g, v, NULL), NULL);
    }
    nb_name_scope_pop(g);
    nb_output r = nb_group(g, assigns, n, name ? name : "broadcast_global_variables");
    free(assigns);
    return r;
}

/*** Sharding ***/

nb_status nb_dist_epoch_permutation(int64_t n, uint64_t seed, int64_t epoch, int64_t *perm) {
    return nb_shard_permutation(n, seed, epoch, perm, NULL); /* libnabla's (src/io/shard.c) */
}

void nb_dist_shard_range(int64_t global_batch, int rank, int size, int64_t *begin, int64_t *end) {
    if (size < 1) size = 1;
    if (rank < 0) rank = 0;
    if (rank >= size) rank = size - 1;
    *begin = (int64_t)(((__int128)global_batch * rank) / size);
    *end = (int64_t)(((__int128)global_batch * (rank + 1)) / size);
}
