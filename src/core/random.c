/*
 * random.c — Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
 * as 1, 2, 3", SC 2011), the counter-based generator TensorFlow also uses.
 * The key is the (seed, seed2) pair, the counter starts at zero; the same
 * seeds give the same stream on every machine. Normals come from Box-Muller.
 */
#include "core/core.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static void philox_block(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

void nbi_philox_init(nbi_philox *p, uint64_t seed, uint64_t seed2, uint32_t stream) {
    memset(p, 0, sizeof *p);
    p->counter[1] = stream;
    p->key[0] = (uint32_t)seed;
    p->key[1] = (uint32_t)(seed >> 32);
    p->counter[2] = (uint32_t)seed2;
    p->counter[3] = (uint32_t)(seed2 >> 32);
    p->pos = 4;
}

uint32_t nbi_philox_u32(nbi_philox *p) {
    if (p->pos == 4) {
        philox_block(p->counter, p->key, p->buf);
        if (++p->counter[0] == 0) ++p->counter[1];
        p->pos = 0;
    }
    return p->buf[p->pos++];
}

double nbi_philox_uniform(nbi_philox *p) {
    uint64_t hi = nbi_philox_u32(p) >> 5, lo = nbi_philox_u32(p) >> 6; /* 27 + 26 bits */
    return ((double)hi * 67108864.0 + (double)lo) / 9007199254740992.0;
}

double nbi_philox_normal(nbi_philox *p) {
    /* Box-Muller; u1 in (0, 1] so the log is finite. */
    double u1 = 1.0 - nbi_philox_uniform(p), u2 = nbi_philox_uniform(p);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void nbi_random_fill(void *data, nb_dtype dt, int64_t n, int kind, uint64_t seed,
                     uint64_t seed2, uint32_t stream) {
    nbi_philox p;
    nbi_philox_init(&p, seed, seed2, stream);
    for (int64_t i = 0; i < n; i++) {
        double v;
        if (kind == 0) {
            v = nbi_philox_uniform(&p);
        } else if (kind == 1) {
            v = nbi_philox_normal(&p);
        } else {
            do v = nbi_philox_normal(&p); while (fabs(v) > 2.0);
        }
        if (dt == NB_FLOAT32) {
            float f = (float)v;
            /* a uniform double just below 1 rounds to 1.0f: keep [0, 1) */
            if (kind == 0 && f >= 1.0f) f = 0x1.fffffep-1f;
            ((float *)data)[i] = f;
        }
        else ((double *)data)[i] = v;
    }
}

static nb_tensor *random_tensor(nb_dtype dt, int rank, const int64_t *dims, int kind, double a,
                                double b, uint64_t seed) {
    if (dt != NB_FLOAT32 && dt != NB_FLOAT64) return NULL;
    nb_tensor *t = nbi_tensor_alloc(dt, rank, dims);
    if (!t) return NULL;
    nbi_random_fill(t->data, dt, t->size, kind, seed, 0, 0);
    for (int64_t i = 0; i < t->size; i++) {
        double v = nbi_load(t->data, dt, i);
        nbi_store(t->data, dt, i, kind == 0 ? a + (b - a) * v : a + b * v);
        /* [lo, hi): lo + (hi - lo) * u can round up to hi, above all in float32 */
        if (kind == 0 && b > a && nbi_load(t->data, dt, i) >= b) {
            if (dt == NB_FLOAT32) ((float *)t->data)[i] = nextafterf((float)b, (float)a);
            else ((double *)t->data)[i] = nextafter(b, a);
        }
    }
    return t;
}

nb_tensor *nb_tensor_random_normal(nb_dtype dtype, int rank, const int64_t *dims, double mean,
                                   double stddev, uint64_t seed) {
    return random_tensor(dtype, rank, dims, 1, mean, stddev, seed);
}

nb_tensor *nb_tensor_random_uniform(nb_dtype dtype, int rank, const int64_t *dims, double lo,
                                    double hi, uint64_t seed) {
    return random_tensor(dtype, rank, dims, 0, lo, hi, seed);
}

nb_tensor *nb_tensor_truncated_normal(nb_dtype dtype, int rank, const int64_t *dims,
                                      double mean, double stddev, uint64_t seed) {
    return random_tensor(dtype, rank, dims, 2, mean, stddev, seed);
}
