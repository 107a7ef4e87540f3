/*
 * test_tensor.c — nb_tensor values: creation, accessors, copies, equality,
 * reference counting, random tensors, numpy-style printing (against strings
 * numpy itself produced: see tests/fixtures/make_print_fixtures.py) and .npy
 * files (round trips, interop with numpy through /usr/bin/python3, and
 * damaged files).
 *
 * The numpy interop tests need /usr/bin/python3 with numpy (Debian's
 * python3-numpy); without them they fail, saying so.
 */
#include "harness.h"
#include "ops/ops_impl.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

/*** Helpers *****************************************************************/

#define CHECK_STR_EQ(got, want)                                                 \
    do {                                                                        \
        checks_++;                                                              \
        const char *g_ = (got), *w_ = (want);                                   \
        if (!g_ || strcmp(g_, w_) != 0)                                         \
            FAILF("got:\n%s\nexpected:\n%s", g_ ? g_ : "(null)", w_);           \
    } while (0)

static char tmp_dir_[512];

/* A fresh directory for this run's files (under the build dir when known). */
static const char *tmp_dir(void) {
    if (tmp_dir_[0]) return tmp_dir_;
    const char *base = getenv("NB_BUILD_DIR");
    if (!base || !*base) base = "/tmp";
    snprintf(tmp_dir_, sizeof tmp_dir_, "%s/test_tensor.XXXXXX", base);
    if (!mkdtemp(tmp_dir_)) {
        snprintf(tmp_dir_, sizeof tmp_dir_, "/tmp/test_tensor.XXXXXX");
        if (!mkdtemp(tmp_dir_)) {
            fprintf(stderr, "cannot create a temporary directory: %s\n", strerror(errno));
            tmp_dir_[0] = 0;
            return "/tmp";
        }
    }
    return tmp_dir_;
}

static const char *tmp_path(const char *name) {
    static char bufs[8][700];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", tmp_dir(), name);
    return b;
}

static void remove_tmp_dir(void) {
    if (!tmp_dir_[0]) return;
    DIR *d = opendir(tmp_dir_);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char p[1200];
            snprintf(p, sizeof p, "%s/%s", tmp_dir_, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(tmp_dir_);
}

static int count_dir_entries(const char *dir) {
    int n = 0;
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static bool write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* Reads a whole file (malloc'd); NULL when it cannot. */
static uint8_t *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    uint8_t *p = malloc(cap);
    for (;;) {
        if (len == cap) p = realloc(p, cap *= 2);
        size_t got = fread(p + len, 1, cap - len, f);
        if (got == 0) break;
        len += got;
    }
    fclose(f);
    *n = len;
    return p;
}

/* The deterministic value pattern shared with the Python scripts below:
 * ((i * scale + offset) % mod), computed in double, then converted. */
typedef struct pattern {
    double scale, offset, mod;
} pattern;

static const nb_dtype all_dtypes[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64, NB_UINT8,
                                      NB_BOOL};
#define N_DTYPES 6

static pattern dtype_pattern(nb_dtype dt) {
    switch (dt) {
    case NB_FLOAT32: return (pattern){0.5, -1.25, 0};
    case NB_FLOAT64: return (pattern){0.1, -2.0, 0};
    case NB_INT32: return (pattern){7, -20, 0};
    case NB_INT64: return (pattern){1000000007, -5, 0};
    case NB_UINT8: return (pattern){37, 3, 256};
    default: return (pattern){1, 0, 3};
    }
}

static nb_tensor *make_pattern(nb_dtype dt, int rank, const int64_t *dims, pattern p) {
    nb_tensor *t = nb_tensor_new(dt, rank, dims, NULL);
    if (!t) return NULL;
    for (int64_t i = 0; i < nb_tensor_size(t); i++) {
        double v = (double)i * p.scale + p.offset;
        if (p.mod != 0) v = fmod(v, p.mod);
        nb_tensor_set_flat(t, i, v);
    }
    return t;
}

/* Shapes used for the .npy round trips: ranks 0 to 3 and two empty ones. */
static const struct {
    int rank;
    int64_t dims[3];
    const char *tag;
} npy_shapes[] = {
    {0, {0}, "r0"}, {1, {3}, "r1"}, {2, {2, 3}, "r2"}, {3, {2, 3, 4}, "r3"},
    {1, {0}, "e1"}, {3, {2, 0, 3}, "e3"},
};
#define N_SHAPES 6

/*** Creation ****************************************************************/

TEST(new_copies_or_zero_fills) {
    float v[6] = {1, 2, 3, 4, 5, 6};
    int64_t dims[2] = {2, 3};
    nb_tensor *t = nb_tensor_new(NB_FLOAT32, 2, dims, v);
    CHECK(t != NULL);
    v[0] = 100;
    CHECK(nb_tensor_get_flat(t, 0) == 1.0);
    CHECK(nb_tensor_get_flat(t, 5) == 6.0);
    CHECK(nb_tensor_nbytes(t) == 24);
    CHECK(((uintptr_t)nb_tensor_data(t) & 63) == 0);
    nb_tensor_unref(t);

    nb_tensor *z = nb_tensor_new(NB_INT64, 2, dims, NULL);
    CHECK(z != NULL);
    for (int64_t i = 0; i < 6; i++) CHECK(((int64_t *)nb_tensor_data(z))[i] == 0);
    nb_tensor_unref(z);

    nb_tensor *s = nb_tensor_new(NB_FLOAT64, 0, NULL, NULL);
    CHECK(s != NULL && nb_tensor_size(s) == 1 && nb_tensor_rank(s) == 0);
    nb_tensor_unref(s);

    int64_t empty[2] = {0, 5};
    nb_tensor *e = nb_tensor_new(NB_FLOAT32, 2, empty, NULL);
    CHECK(e != NULL && nb_tensor_size(e) == 0 && nb_tensor_nbytes(e) == 0);
    nb_tensor_unref(e);
}

TEST(new_rejects_bad_arguments) {
    int64_t dims[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    int64_t neg[2] = {2, -1};
    int64_t huge[2] = {INT64_MAX / 2, 4};
    CHECK(nb_tensor_new(NB_DTYPE_INVALID, 1, dims, NULL) == NULL);
    CHECK(nb_tensor_new((nb_dtype)77, 1, dims, NULL) == NULL);
    CHECK(nb_tensor_new(NB_FLOAT32, 9, dims, NULL) == NULL);
    CHECK(nb_tensor_new(NB_FLOAT32, -1, dims, NULL) == NULL);
    CHECK(nb_tensor_new(NB_FLOAT32, 2, neg, NULL) == NULL);
    CHECK(nb_tensor_new(NB_FLOAT32, 2, NULL, NULL) == NULL);
    CHECK(nb_tensor_new(NB_FLOAT32, 2, huge, NULL) == NULL);
    nb_tensor *r8 = nb_tensor_new(NB_UINT8, 8, dims, NULL);
    CHECK(r8 != NULL && nb_tensor_rank(r8) == 8);
    nb_tensor_unref(r8);
}

typedef struct deleter_log {
    int calls;
    void *data;
    size_t nbytes;
} deleter_log;

static void count_deleter(void *data, size_t nbytes, void *ctx) {
    deleter_log *log = ctx;
    log->calls++;
    log->data = data;
    log->nbytes = nbytes;
}

TEST(wrap_calls_deleter_exactly_once) {
    double buf[4] = {1, 2, 3, 4};
    int64_t dims[2] = {2, 2};
    deleter_log log = {0};
    nb_tensor *t = nb_tensor_wrap(NB_FLOAT64, 2, dims, buf, sizeof buf, count_deleter, &log);
    CHECK(t != NULL);
    CHECK(nb_tensor_data(t) == (void *)buf);
    buf[3] = 40; /* no copy: the tensor sees the change */
    CHECK(nb_tensor_get_flat(t, 3) == 40.0);
    nb_tensor_ref(t);
    nb_tensor_unref(t);
    CHECK(log.calls == 0);
    nb_tensor *c = nb_tensor_copy(t);
    nb_tensor_unref(t);
    CHECK(log.calls == 1);
    CHECK(log.data == (void *)buf && log.nbytes == sizeof buf);
    CHECK(c != NULL && nb_tensor_get_flat(c, 3) == 40.0); /* copies outlive the wrapper */
    nb_tensor_unref(c);
    CHECK(log.calls == 1);

    /* a larger buffer than needed is fine, and its full size is reported */
    deleter_log log2 = {0};
    int64_t d1 = 3;
    t = nb_tensor_wrap(NB_FLOAT64, 1, &d1, buf, sizeof buf, count_deleter, &log2);
    CHECK(t != NULL && nb_tensor_size(t) == 3);
    nb_tensor_unref(t);
    CHECK(log2.calls == 1 && log2.nbytes == sizeof buf);

    /* NULL deleter: nothing to call */
    t = nb_tensor_wrap(NB_FLOAT64, 2, dims, buf, sizeof buf, NULL, NULL);
    CHECK(t != NULL);
    nb_tensor_unref(t);
}

TEST(wrap_bad_arguments_call_deleter_at_once) {
    double buf[4] = {0};
    int64_t dims[2] = {2, 2}, big[2] = {3, 3}, neg[1] = {-2};
    deleter_log log = {0};
    CHECK(nb_tensor_wrap(NB_FLOAT64, 2, big, buf, sizeof buf, count_deleter, &log) == NULL);
    CHECK(log.calls == 1);
    CHECK(nb_tensor_wrap(NB_DTYPE_INVALID, 2, dims, buf, sizeof buf, count_deleter, &log) == NULL);
    CHECK(log.calls == 2);
    CHECK(nb_tensor_wrap(NB_FLOAT64, 1, neg, buf, sizeof buf, count_deleter, &log) == NULL);
    CHECK(log.calls == 3);
    CHECK(nb_tensor_wrap(NB_FLOAT64, 2, dims, NULL, 32, count_deleter, &log) == NULL);
    CHECK(log.calls == 4);
    CHECK(nb_tensor_wrap(NB_FLOAT64, 9, dims, buf, sizeof buf, count_deleter, &log) == NULL);
    CHECK(log.calls == 5);
    /* without a deleter a bad argument just gives NULL */
    CHECK(nb_tensor_wrap(NB_FLOAT64, 2, big, buf, sizeof buf, NULL, NULL) == NULL);
}

TEST(zeros_ones_fill_every_dtype) {
    int64_t dims[2] = {2, 3};
    for (int d = 0; d < N_DTYPES; d++) {
        nb_dtype dt = all_dtypes[d];
        nb_tensor *z = nb_tensor_zeros(dt, 2, dims);
        nb_tensor *o = nb_tensor_ones(dt, 2, dims);
        nb_tensor *f = nb_tensor_fill(dt, 2, dims, 3.0);
        CHECK(z && o && f);
        if (!z || !o || !f) continue;
        CHECK(nb_tensor_dtype(z) == dt && nb_tensor_size(z) == 6);
        CHECK(nb_tensor_nbytes(o) == 6 * nb_dtype_size(dt));
        for (int64_t i = 0; i < 6; i++) {
            CHECK(nb_tensor_get_flat(z, i) == 0.0);
            CHECK(nb_tensor_get_flat(o, i) == 1.0);
            CHECK(nb_tensor_get_flat(f, i) == (dt == NB_BOOL ? 1.0 : 3.0));
        }
        nb_tensor_unref(z);
        nb_tensor_unref(o);
        nb_tensor_unref(f);
    }
    nb_tensor *f = nb_tensor_fill(NB_FLOAT32, 1, (int64_t[]){2}, 0.1);
    CHECK(((float *)nb_tensor_data(f))[1] == 0.1f);
    nb_tensor_unref(f);
    nb_tensor *u = nb_tensor_fill(NB_INT32, 1, (int64_t[]){2}, -2.9); /* astype truncates */
    CHECK(nb_tensor_get_flat(u, 0) == -2.0);
    nb_tensor_unref(u);
    CHECK(nb_tensor_zeros(NB_FLOAT32, 1, (int64_t[]){-1}) == NULL);
    nb_tensor *nz = nb_tensor_fill(NB_FLOAT64, 1, (int64_t[]){2}, -0.0); /* np.full keeps -0.0 */
    CHECK(nz && signbit(nb_tensor_get_flat(nz, 1)));
    nb_tensor_unref(nz);
}

TEST(scalar_tensors) {
    nb_tensor *s = nb_tensor_scalar(NB_FLOAT32, 2.5);
    CHECK(s && nb_tensor_rank(s) == 0 && nb_tensor_size(s) == 1);
    CHECK(nb_tensor_scalar_f64(s) == 2.5);
    CHECK(nb_tensor_dims(s) != NULL);
    nb_shape sh = nb_tensor_shape(s);
    CHECK(sh.rank == 0);
    nb_tensor_unref(s);
    s = nb_tensor_scalar(NB_INT64, -7.9);
    CHECK(nb_tensor_scalar_f64(s) == -7.0);
    nb_tensor_unref(s);
    s = nb_tensor_scalar(NB_BOOL, 0.5);
    CHECK(nb_tensor_scalar_f64(s) == 1.0);
    nb_tensor_unref(s);
    CHECK(nb_tensor_scalar(NB_DTYPE_INVALID, 1) == NULL);
}

TEST(range_matches_arange) {
    nb_tensor *r = nb_tensor_range(NB_FLOAT32, 0, 1, 0.25);
    CHECK(r && nb_tensor_rank(r) == 1 && nb_tensor_dim(r, 0) == 4);
    for (int i = 0; r && i < 4; i++) CHECK(nb_tensor_get_flat(r, i) == 0.25 * i);
    nb_tensor_unref(r);

    r = nb_tensor_range(NB_INT32, 10, 0, -3); /* 10 7 4 1 */
    CHECK(r && nb_tensor_size(r) == 4);
    CHECK(nb_tensor_get_flat(r, 3) == 1.0);
    nb_tensor_unref(r);

    r = nb_tensor_range(NB_INT64, 0, 5, 1);
    CHECK(r && nb_tensor_size(r) == 5 && nb_tensor_get_flat(r, 4) == 4.0);
    nb_tensor_unref(r);

    r = nb_tensor_range(NB_FLOAT64, 1, 2, 0.3); /* 1, 1.3, 1.6, 1.9 */
    CHECK(r && nb_tensor_size(r) == 4);
    nb_tensor_unref(r);

    r = nb_tensor_range(NB_FLOAT64, 5, 0, 1); /* empty, as numpy */
    CHECK(r && nb_tensor_size(r) == 0 && nb_tensor_rank(r) == 1);
    nb_tensor_unref(r);

    CHECK(nb_tensor_range(NB_FLOAT64, 0, 1, 0) == NULL);
    CHECK(nb_tensor_range(NB_FLOAT64, 0, INFINITY, 1) == NULL);
    CHECK(nb_tensor_range(NB_FLOAT64, 0, 1e300, 1e-300) == NULL);
}

TEST(linspace_matches_numpy) {
    nb_tensor *l = nb_tensor_linspace(NB_FLOAT64, 0, 1, 5);
    CHECK(l && nb_tensor_size(l) == 5);
    const double want[5] = {0, 0.25, 0.5, 0.75, 1};
    for (int i = 0; l && i < 5; i++) CHECK(nb_tensor_get_flat(l, i) == want[i]);
    nb_tensor_unref(l);

    l = nb_tensor_linspace(NB_FLOAT32, -1, 1, 3);
    CHECK(l && nb_tensor_get_flat(l, 0) == -1 && nb_tensor_get_flat(l, 1) == 0 &&
          nb_tensor_get_flat(l, 2) == 1);
    nb_tensor_unref(l);

    l = nb_tensor_linspace(NB_FLOAT64, 0.1, 0.7, 7); /* the last value is exactly stop */
    CHECK(l && nb_tensor_get_flat(l, 6) == 0.7);
    nb_tensor_unref(l);

    l = nb_tensor_linspace(NB_FLOAT64, 3, 9, 1);
    CHECK(l && nb_tensor_size(l) == 1 && nb_tensor_get_flat(l, 0) == 3);
    nb_tensor_unref(l);

    l = nb_tensor_linspace(NB_FLOAT64, 3, 9, 0);
    CHECK(l && nb_tensor_size(l) == 0);
    nb_tensor_unref(l);

    CHECK(nb_tensor_linspace(NB_FLOAT64, 0, 1, -1) == NULL);
    CHECK(nb_tensor_linspace(NB_FLOAT64, NAN, 1, 3) == NULL);
}

/*** Accessors ***************************************************************/

TEST(accessors) {
    int64_t dims[3] = {2, 3, 4};
    nb_tensor *t = make_pattern(NB_INT32, 3, dims, (pattern){1, 0, 0});
    CHECK(nb_tensor_dtype(t) == NB_INT32);
    CHECK(nb_tensor_rank(t) == 3);
    CHECK(nb_tensor_dim(t, 0) == 2 && nb_tensor_dim(t, 2) == 4);
    CHECK(nb_tensor_dim(t, 3) == -1 && nb_tensor_dim(t, -1) == -1);
    CHECK(nb_tensor_dims(t)[1] == 3);
    nb_shape s = nb_tensor_shape(t);
    CHECK(s.rank == 3 && s.dims[0] == 2 && s.dims[1] == 3 && s.dims[2] == 4);
    CHECK(nb_tensor_size(t) == 24);
    CHECK(nb_tensor_nbytes(t) == 96);
    CHECK(nb_tensor_data(t) == nb_tensor_data_const(t));
    CHECK(nb_tensor_get(t, (int64_t[]){1, 2, 3}) == 23);
    CHECK(nb_tensor_get(t, (int64_t[]){1, 0, 2}) == 14);
    CHECK(nb_tensor_get(t, (int64_t[]){2, 0, 0}) == 0);  /* out of range */
    CHECK(nb_tensor_get(t, (int64_t[]){0, -1, 0}) == 0);
    CHECK(nb_tensor_get_flat(t, 24) == 0 && nb_tensor_get_flat(t, -1) == 0);
    CHECK_STATUS(nb_tensor_set_flat(t, 5, 99.7), NB_OK);
    CHECK(nb_tensor_get_flat(t, 5) == 99);
    CHECK_STATUS(nb_tensor_set_flat(t, 24, 1), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_tensor_set_flat(t, -1, 1), NB_ERR_INVALID_ARGUMENT);
    CHECK(nb_tensor_scalar_f64(t) == 0);
    nb_tensor_unref(t);

    /* NULL is accepted everywhere */
    CHECK(nb_tensor_dtype(NULL) == NB_DTYPE_INVALID);
    CHECK(nb_tensor_rank(NULL) == -1);
    CHECK(nb_tensor_dim(NULL, 0) == -1);
    CHECK(nb_tensor_dims(NULL) == NULL);
    CHECK(nb_tensor_shape(NULL).rank == -1);
    CHECK(nb_tensor_size(NULL) == 0 && nb_tensor_nbytes(NULL) == 0);
    CHECK(nb_tensor_data(NULL) == NULL && nb_tensor_data_const(NULL) == NULL);
    CHECK(nb_tensor_get_flat(NULL, 0) == 0);
    CHECK_STATUS(nb_tensor_set_flat(NULL, 0, 1), NB_ERR_INVALID_ARGUMENT);
    CHECK(nb_tensor_copy(NULL) == NULL && nb_tensor_cast(NULL, NB_FLOAT32) == NULL);
    CHECK(nb_tensor_to_string(NULL) == NULL);
}

TEST(dtype_names_and_sizes) {
    CHECK(strcmp(nb_dtype_name(NB_FLOAT32), "float32") == 0);
    CHECK(strcmp(nb_dtype_name(NB_INT64), "int64") == 0);
    CHECK(strcmp(nb_dtype_name(NB_BOOL), "bool") == 0);
    CHECK(strcmp(nb_dtype_name((nb_dtype)99), "invalid") == 0);
    CHECK(nb_dtype_size(NB_FLOAT64) == 8 && nb_dtype_size(NB_UINT8) == 1);
    CHECK(nb_dtype_size(NB_DTYPE_INVALID) == 0);
}

/*** Copies, casts, reshapes, equality ***************************************/

TEST(copy_is_deep) {
    int64_t dims[2] = {2, 2};
    nb_tensor *a = make_pattern(NB_FLOAT64, 2, dims, (pattern){1.5, 0, 0});
    nb_tensor *b = nb_tensor_copy(a);
    CHECK(b != NULL && b != a);
    CHECK(nb_tensor_equal(a, b));
    CHECK(nb_tensor_data(a) != nb_tensor_data(b));
    nb_tensor_set_flat(b, 0, 42);
    CHECK(nb_tensor_get_flat(a, 0) == 0);
    CHECK(!nb_tensor_equal(a, b));
    nb_tensor_unref(a);
    nb_tensor_unref(b);
}

TEST(cast_follows_numpy_astype) {
    nb_tensor *f = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){6},
                                 (double[]){2.7, -2.7, 0.0, 255.9, 1e10, -0.5});
    nb_tensor *i = nb_tensor_cast(f, NB_INT32);
    CHECK(i && nb_tensor_dtype(i) == NB_INT32);
    CHECK(nb_tensor_get_flat(i, 0) == 2 && nb_tensor_get_flat(i, 1) == -2);
    CHECK(nb_tensor_get_flat(i, 5) == 0);
    nb_tensor *b = nb_tensor_cast(f, NB_BOOL);
    CHECK(b && nb_tensor_get_flat(b, 0) == 1 && nb_tensor_get_flat(b, 2) == 0 &&
          nb_tensor_get_flat(b, 5) == 1);
    nb_tensor *u = nb_tensor_cast(f, NB_UINT8);
    CHECK(u && nb_tensor_get_flat(u, 3) == 255);
    nb_tensor *g = nb_tensor_cast(b, NB_FLOAT32);
    CHECK(g && nb_tensor_get_flat(g, 1) == 1.0 && nb_tensor_get_flat(g, 2) == 0.0);
    nb_tensor *s = nb_tensor_cast(f, NB_FLOAT32);
    CHECK(s && ((float *)nb_tensor_data(s))[0] == 2.7f);
    nb_tensor *l = nb_tensor_new(NB_INT64, 1, (int64_t[]){2},
                                 (int64_t[]){INT64_C(9007199254740993), -3});
    nb_tensor *ld = nb_tensor_cast(l, NB_FLOAT64);
    CHECK(ld && nb_tensor_get_flat(ld, 1) == -3.0);
    nb_tensor *same = nb_tensor_cast(l, NB_INT64);
    CHECK(nb_tensor_equal(same, l));
    CHECK(nb_tensor_cast(f, NB_DTYPE_INVALID) == NULL);
    nb_tensor_unref(f);
    nb_tensor_unref(i);
    nb_tensor_unref(b);
    nb_tensor_unref(u);
    nb_tensor_unref(g);
    nb_tensor_unref(s);
    nb_tensor_unref(l);
    nb_tensor_unref(ld);
    nb_tensor_unref(same);
}

TEST(reshape_with_inferred_dim) {
    int64_t dims[2] = {2, 6};
    nb_tensor *t = make_pattern(NB_FLOAT32, 2, dims, (pattern){1, 0, 0});
    nb_tensor *r = nb_tensor_reshape(t, 3, (int64_t[]){3, -1, 2});
    CHECK(r && nb_tensor_rank(r) == 3 && nb_tensor_dim(r, 1) == 2);
    CHECK(r && nb_tensor_get(r, (int64_t[]){2, 1, 1}) == 11);
    CHECK(r && nb_tensor_data(r) != nb_tensor_data(t)); /* a copy */
    nb_tensor *flat = nb_tensor_reshape(t, 1, (int64_t[]){-1});
    CHECK(flat && nb_tensor_dim(flat, 0) == 12);
    nb_tensor *same = nb_tensor_reshape(t, 2, (int64_t[]){12, 1});
    CHECK(same && nb_tensor_size(same) == 12);
    CHECK(nb_tensor_reshape(t, 2, (int64_t[]){5, -1}) == NULL);
    CHECK(nb_tensor_reshape(t, 2, (int64_t[]){-1, -1}) == NULL);
    CHECK(nb_tensor_reshape(t, 2, (int64_t[]){3, 3}) == NULL);
    CHECK(nb_tensor_reshape(t, 2, (int64_t[]){-2, -6}) == NULL);
    CHECK(nb_tensor_reshape(t, 3, (int64_t[]){INT64_MAX, 4, -1}) == NULL); /* no overflow */
    CHECK(nb_tensor_reshape(t, 9, (int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 12}) == NULL);
    nb_tensor *s1 = nb_tensor_scalar(NB_INT32, 4);
    nb_tensor *s2 = nb_tensor_reshape(s1, 3, (int64_t[]){1, 1, -1});
    CHECK(s2 && nb_tensor_size(s2) == 1 && nb_tensor_get_flat(s2, 0) == 4);
    nb_tensor *s3 = nb_tensor_reshape(s2, 0, NULL);
    CHECK(s3 && nb_tensor_rank(s3) == 0);
    nb_tensor *e = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){0, 3});
    nb_tensor *e2 = nb_tensor_reshape(e, 2, (int64_t[]){3, 0});
    CHECK(e2 && nb_tensor_size(e2) == 0);
    nb_tensor_unref(t);
    nb_tensor_unref(r);
    nb_tensor_unref(flat);
    nb_tensor_unref(same);
    nb_tensor_unref(s1);
    nb_tensor_unref(s2);
    nb_tensor_unref(s3);
    nb_tensor_unref(e);
    nb_tensor_unref(e2);
}

TEST(equal_compares_dtype_shape_values) {
    nb_tensor *a = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){3}, (double[]){1, NAN, -0.0});
    nb_tensor *b = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){3}, (double[]){1, NAN, 0.0});
    nb_tensor *c = nb_tensor_new(NB_FLOAT64, 2, (int64_t[]){1, 3}, (double[]){1, NAN, 0.0});
    nb_tensor *d = nb_tensor_cast(a, NB_FLOAT32);
    nb_tensor *e = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){3}, (double[]){1, 2, 0.0});
    CHECK(nb_tensor_equal(a, b)); /* NaN equals NaN; -0 == 0 */
    CHECK(nb_tensor_equal(a, a));
    CHECK(!nb_tensor_equal(a, c));
    CHECK(!nb_tensor_equal(a, d));
    CHECK(!nb_tensor_equal(a, e));
    CHECK(!nb_tensor_equal(a, NULL) && !nb_tensor_equal(NULL, NULL));
    nb_tensor *i1 = nb_tensor_new(NB_INT32, 1, (int64_t[]){2}, (int32_t[]){1, 2});
    nb_tensor *i2 = nb_tensor_new(NB_INT32, 1, (int64_t[]){2}, (int32_t[]){1, 3});
    CHECK(!nb_tensor_equal(i1, i2));
    nb_tensor_set_flat(i2, 1, 2);
    CHECK(nb_tensor_equal(i1, i2));
    nb_tensor *z1 = nb_tensor_zeros(NB_FLOAT32, 1, (int64_t[]){0});
    nb_tensor *z2 = nb_tensor_zeros(NB_FLOAT32, 1, (int64_t[]){0});
    CHECK(nb_tensor_equal(z1, z2));
    nb_tensor_unref(a);
    nb_tensor_unref(b);
    nb_tensor_unref(c);
    nb_tensor_unref(d);
    nb_tensor_unref(e);
    nb_tensor_unref(i1);
    nb_tensor_unref(i2);
    nb_tensor_unref(z1);
    nb_tensor_unref(z2);
}

TEST(reference_counting) {
    float buf[2] = {1, 2};
    deleter_log log = {0};
    nb_tensor *t = nb_tensor_wrap(NB_FLOAT32, 1, (int64_t[]){2}, buf, sizeof buf, count_deleter,
                                  &log);
    CHECK(nb_tensor_ref(t) == t);
    CHECK(nb_tensor_ref(t) == t);
    nb_tensor_unref(t);
    nb_tensor_unref(t);
    CHECK(log.calls == 0);
    nb_tensor_unref(t);
    CHECK(log.calls == 1);
    CHECK(nb_tensor_ref(NULL) == NULL);
    nb_tensor_unref(NULL);

    /* a view keeps its base alive */
    log.calls = 0;
    t = nb_tensor_wrap(NB_FLOAT32, 1, (int64_t[]){2}, buf, sizeof buf, count_deleter, &log);
    nb_tensor *v = nbi_tensor_view(t, 2, (int64_t[]){1, 2});
    CHECK(v != NULL);
    nb_tensor_unref(t);
    CHECK(log.calls == 0);
    CHECK(v && nb_tensor_get_flat(v, 1) == 2);
    nb_tensor_unref(v);
    CHECK(log.calls == 1);
}

/*** Random tensors **********************************************************/

static void moments(const nb_tensor *t, double *mean, double *sd, double *lo, double *hi) {
    double s = 0, s2 = 0;
    int64_t n = nb_tensor_size(t);
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        double v = nb_tensor_get_flat(t, i);
        s += v;
        if (v < *lo) *lo = v;
        if (v > *hi) *hi = v;
    }
    *mean = s / (double)n;
    for (int64_t i = 0; i < n; i++) {
        double d = nb_tensor_get_flat(t, i) - *mean;
        s2 += d * d;
    }
    *sd = sqrt(s2 / (double)(n - 1));
}

TEST(random_normal_statistics) {
    int64_t n = 100000;
    for (int k = 0; k < 2; k++) {
        nb_dtype dt = k ? NB_FLOAT64 : NB_FLOAT32;
        nb_tensor *t = nb_tensor_random_normal(dt, 1, &n, 3.0, 2.0, 42);
        CHECK(t && nb_tensor_dtype(t) == dt && nb_tensor_size(t) == n);
        if (!t) continue;
        double mean, sd, lo, hi;
        moments(t, &mean, &sd, &lo, &hi);
        /* 5 standard errors: mean error sd/sqrt(n), sd error about sd/sqrt(2n) */
        CHECK(fabs(mean - 3.0) < 5 * 2.0 / sqrt((double)n));
        CHECK(fabs(sd - 2.0) < 5 * 2.0 / sqrt(2.0 * (double)n));
        CHECK(lo < 3.0 - 2 * 3.5 && hi > 3.0 + 2 * 3.5); /* tails reach 3.5 sd */
        CHECK(isfinite(lo) && isfinite(hi));
        nb_tensor_unref(t);
    }
}

TEST(random_uniform_statistics) {
    int64_t n = 100000;
    for (int k = 0; k < 2; k++) {
        nb_dtype dt = k ? NB_FLOAT64 : NB_FLOAT32;
        nb_tensor *t = nb_tensor_random_uniform(dt, 1, &n, -1.0, 3.0, 7);
        CHECK(t != NULL);
        if (!t) continue;
        double mean, sd, lo, hi;
        moments(t, &mean, &sd, &lo, &hi);
        double want_sd = 4.0 / sqrt(12.0);
        CHECK(lo >= -1.0 && hi < 3.0);
        CHECK(lo < -0.999 && hi > 2.999);
        CHECK(fabs(mean - 1.0) < 5 * want_sd / sqrt((double)n));
        CHECK(fabs(sd - want_sd) < 0.01 * want_sd);
        /* each quarter of the range holds a quarter of the samples */
        int64_t bins[4] = {0};
        for (int64_t i = 0; i < n; i++) {
            int b = (int)floor(nb_tensor_get_flat(t, i) + 1.0);
            if (b >= 0 && b < 4) bins[b]++;
        }
        for (int b = 0; b < 4; b++) CHECK(llabs(bins[b] - n / 4) < 5 * 137); /* sqrt(n*3/16) */
        nb_tensor_unref(t);
    }
}

TEST(truncated_normal_statistics) {
    int64_t n = 100000;
    for (int k = 0; k < 2; k++) {
        nb_dtype dt = k ? NB_FLOAT64 : NB_FLOAT32;
        nb_tensor *t = nb_tensor_truncated_normal(dt, 1, &n, -1.0, 0.5, 3);
        CHECK(t != NULL);
        if (!t) continue;
        double mean, sd, lo, hi;
        moments(t, &mean, &sd, &lo, &hi);
        CHECK(lo >= -1.0 - 2 * 0.5 - 1e-6 && hi <= -1.0 + 2 * 0.5 + 1e-6);
        CHECK(lo < -1.95 && hi > -0.05); /* the whole window is used */
        /* sd of N(0,1) truncated to [-2, 2] is 0.87962 */
        CHECK(fabs(mean + 1.0) < 5 * 0.5 / sqrt((double)n));
        CHECK(fabs(sd - 0.5 * 0.87962) < 0.01 * 0.5);
        nb_tensor_unref(t);
    }
}

TEST(random_is_reproducible_per_seed) {
    int64_t dims[2] = {10, 10};
    nb_tensor *a = nb_tensor_random_normal(NB_FLOAT32, 2, dims, 0, 1, 123);
    nb_tensor *b = nb_tensor_random_normal(NB_FLOAT32, 2, dims, 0, 1, 123);
    nb_tensor *c = nb_tensor_random_normal(NB_FLOAT32, 2, dims, 0, 1, 124);
    CHECK(nb_tensor_equal(a, b));
    CHECK(!nb_tensor_equal(a, c));
    int same = 0;
    for (int64_t i = 0; i < 100; i++) same += nb_tensor_get_flat(a, i) == nb_tensor_get_flat(c, i);
    CHECK(same < 5);
    nb_tensor *u1 = nb_tensor_random_uniform(NB_FLOAT64, 2, dims, 0, 1, 9);
    nb_tensor *u2 = nb_tensor_random_uniform(NB_FLOAT64, 2, dims, 0, 1, 9);
    nb_tensor *u3 = nb_tensor_random_uniform(NB_FLOAT64, 2, dims, 0, 1, (uint64_t)9 << 32);
    CHECK(nb_tensor_equal(u1, u2) && !nb_tensor_equal(u1, u3));
    nb_tensor *t1 = nb_tensor_truncated_normal(NB_FLOAT64, 2, dims, 0, 1, 5);
    nb_tensor *t2 = nb_tensor_truncated_normal(NB_FLOAT64, 2, dims, 0, 1, 5);
    nb_tensor *t3 = nb_tensor_truncated_normal(NB_FLOAT64, 2, dims, 0, 1, 6);
    CHECK(nb_tensor_equal(t1, t2) && !nb_tensor_equal(t1, t3));
    CHECK(nb_tensor_random_normal(NB_INT32, 2, dims, 0, 1, 1) == NULL);
    CHECK(nb_tensor_random_uniform(NB_BOOL, 2, dims, 0, 1, 1) == NULL);
    CHECK(nb_tensor_truncated_normal(NB_UINT8, 2, dims, 0, 1, 1) == NULL);
    nb_tensor *s = nb_tensor_random_normal(NB_FLOAT64, 0, NULL, 5, 0, 1);
    CHECK(s && nb_tensor_scalar_f64(s) == 5.0);
    nb_tensor_unref(a);
    nb_tensor_unref(b);
    nb_tensor_unref(c);
    nb_tensor_unref(u1);
    nb_tensor_unref(u2);
    nb_tensor_unref(u3);
    nb_tensor_unref(t1);
    nb_tensor_unref(t2);
    nb_tensor_unref(t3);
    nb_tensor_unref(s);
}

/*** Printing ****************************************************************/

typedef struct print_case {
    const char *name;
    nb_dtype dtype;
    int rank;
    int64_t dims[NB_MAX_RANK];
    const double *f;      /* explicit float values */
    const int64_t *i;     /* explicit integer / bool values */
    double scale, offset, mod;
    bool arange;          /* values (i * scale + offset) % mod */
    const char *expected; /* str(array) from numpy */
} print_case;

/* BEGIN PRINT FIXTURES (generated by tests/fixtures/make_print_fixtures.py with numpy 1.24.2; do not edit) */
static const print_case print_cases[] = {
    {"f64_2x2", NB_FLOAT64, 2, {2, 2}, .f = (const double[]){0x1.0000000000000p+0, 0x1.0000000000000p+1, 0x1.8000000000000p+1, 0x1.0000000000000p+2},
     .expected = "[[1. 2.]\n [3. 4.]]"},
    {"f64_pad_right", NB_FLOAT64, 1, {2}, .f = (const double[]){0x1.8000000000000p+0, 0x1.2000000000000p+1},
     .expected = "[1.5  2.25]"},
    {"f64_tenths", NB_FLOAT64, 1, {3}, .f = (const double[]){0x1.999999999999ap-4, 0x1.999999999999ap-3, 0x1.3333333333333p-2},
     .expected = "[0.1 0.2 0.3]"},
    {"f64_thirds", NB_FLOAT64, 1, {3}, .f = (const double[]){0x1.5555555555555p-2, 0x1.5555555555555p-1, -0x1.5555555555555p-2},
     .expected = "[ 0.33333333  0.66666667 -0.33333333]"},
    {"f64_pi_e", NB_FLOAT64, 1, {2}, .f = (const double[]){0x1.921fb54442d18p+1, 0x1.5bf0a8b145769p+1},
     .expected = "[3.14159265 2.71828183]"},
    {"f64_negative", NB_FLOAT64, 1, {3}, .f = (const double[]){-0x1.8000000000000p+0, 0x1.0000000000000p+1, -0x1.2c40000000000p+8},
     .expected = "[  -1.5     2.   -300.25]"},
    {"f64_zeros", NB_FLOAT64, 1, {3}, .f = (const double[]){0.0, 0.0, 0.0},
     .expected = "[0. 0. 0.]"},
    {"f64_one", NB_FLOAT64, 1, {1}, .f = (const double[]){0x1.4000000000000p+2},
     .expected = "[5.]"},
    {"f64_neg_zero", NB_FLOAT64, 1, {2}, .f = (const double[]){-0.0, 0x1.0000000000000p+0},
     .expected = "[-0.  1.]"},
    {"f64_neg_zero_only", NB_FLOAT64, 1, {2}, .f = (const double[]){0.0, -0.0},
     .expected = "[ 0. -0.]"},
    {"f64_ratio_1000", NB_FLOAT64, 1, {2}, .f = (const double[]){0x1.0000000000000p+0, 0x1.f400000000000p+9},
     .expected = "[   1. 1000.]"},
    {"f64_ratio_over", NB_FLOAT64, 1, {2}, .f = (const double[]){0x1.0000000000000p+0, 0x1.f440000000000p+9},
     .expected = "[1.0000e+00 1.0005e+03]"},
    {"f64_min_1e-4", NB_FLOAT64, 1, {2}, .f = (const double[]){0x1.a36e2eb1c432dp-14, 0x1.0624dd2f1a9fcp-10},
     .expected = "[0.0001 0.001 ]"},
    {"f64_small_exp", NB_FLOAT64, 1, {3}, .f = (const double[]){0x1.4f8b588e368f1p-17, 0x1.0000000000000p+0, INFINITY},
     .expected = "[1.e-05 1.e+00    inf]"},
    {"f64_big_1e8", NB_FLOAT64, 1, {2}, .f = (const double[]){0x1.7d78400000000p+26, 0x1.0000000000000p+0},
     .expected = "[1.e+08 1.e+00]"},
    {"f64_under_1e8", NB_FLOAT64, 1, {2}, .f = (const double[]){0x1.7d783fe000000p+26, 0x1.78c29c0000000p+23},
     .expected = "[99999999.5 12345678. ]"},
    {"f64_1e16", NB_FLOAT64, 1, {1}, .f = (const double[]){0x1.1c37937e08000p+53},
     .expected = "[1.e+16]"},
    {"f64_exp_min_digits", NB_FLOAT64, 1, {2}, .f = (const double[]){0x1.199999999999ap+0, 0x1.4f8b588e368f1p-17},
     .expected = "[1.1e+00 1.0e-05]"},
    {"f64_exp_mixed", NB_FLOAT64, 1, {3}, .f = (const double[]){0x1.4ed0f36900000p+33, 0x1.4000000000000p+1, -0x1.c000000000000p+2},
     .expected = "[ 1.12345679e+10  2.50000000e+00 -7.00000000e+00]"},
    {"f64_exp3", NB_FLOAT64, 1, {2}, .f = (const double[]){0x1.249ad2594c37dp+332, 0x1.bff2ee48e0530p-333},
     .expected = "[1.e+100 1.e-100]"},
    {"f64_extremes", NB_FLOAT64, 1, {3}, .f = (const double[]){0x0.0000000000001p-1022, 0x1.fffffffffffffp+1023, -0x1.0000000000000p-1022},
     .expected = "[ 4.94065646e-324  1.79769313e+308 -2.22507386e-308]"},
    {"f64_nan_inf", NB_FLOAT64, 1, {2}, .f = (const double[]){NAN, -INFINITY},
     .expected = "[ nan -inf]"},
    {"f64_nan_mixed", NB_FLOAT64, 1, {3}, .f = (const double[]){0x1.8000000000000p+0, NAN, -0x1.2000000000000p+1},
     .expected = "[ 1.5    nan -2.25]"},
    {"f64_all_nan", NB_FLOAT64, 1, {2}, .f = (const double[]){NAN, NAN},
     .expected = "[nan nan]"},
    {"f64_inf_only", NB_FLOAT64, 1, {1}, .f = (const double[]){INFINITY},
     .expected = "[inf]"},
    {"f64_neg_inf_exp", NB_FLOAT64, 1, {3}, .f = (const double[]){-INFINITY, 0x1.b7cdfd9d7bdbbp-34, 0x1.8000000000000p+1},
     .expected = "[  -inf 1.e-10 3.e+00]"},
    {"f64_round8", NB_FLOAT64, 1, {2}, .f = (const double[]){0x1.f9add37c0a0cbp-4, 0x1.00000015798eep+0},
     .expected = "[0.12345679 1.        ]"},
    {"f64_rounding_carry", NB_FLOAT64, 1, {2}, .f = (const double[]){0x1.fffffff768fa1p-1, 0x1.3ffffffff2419p+3},
     .expected = "[ 1. 10.]"},
    {"f64_linspace_wrap", NB_FLOAT64, 1, {30}, .f = (const double[]){0.0, 0x1.1a7b9611a7b96p-5, 0x1.1a7b9611a7b96p-4, 0x1.a7b9611a7b961p-4, 0x1.1a7b9611a7b96p-3, 0x1.611a7b9611a7cp-3, 0x1.a7b9611a7b961p-3, 0x1.ee58469ee5846p-3, 0x1.1a7b9611a7b96p-2, 0x1.3dcb08d3dcb09p-2, 0x1.611a7b9611a7cp-2, 0x1.8469ee58469eep-2, 0x1.a7b9611a7b961p-2, 0x1.cb08d3dcb08d4p-2, 0x1.ee58469ee5846p-2, 0x1.08d3dcb08d3ddp-1, 0x1.1a7b9611a7b96p-1, 0x1.2c234f72c234fp-1, 0x1.3dcb08d3dcb09p-1, 0x1.4f72c234f72c2p-1, 0x1.611a7b9611a7cp-1, 0x1.72c234f72c235p-1, 0x1.8469ee58469eep-1, 0x1.9611a7b9611a8p-1, 0x1.a7b9611a7b961p-1, 0x1.b9611a7b9611ap-1, 0x1.cb08d3dcb08d4p-1, 0x1.dcb08d3dcb08dp-1, 0x1.ee58469ee5846p-1, 0x1.0000000000000p+0},
     .expected = "[0.         0.03448276 0.06896552 0.10344828 0.13793103 0.17241379\n 0.20689655 0.24137931 0.27586207 0.31034483 0.34482759 0.37931034\n 0.4137931  0.44827586 0.48275862 0.51724138 0.55172414 0.5862069\n 0.62068966 0.65517241 0.68965517 0.72413793 0.75862069 0.79310345\n 0.82758621 0.86206897 0.89655172 0.93103448 0.96551724 1.        ]"},
    {"f64_arange_wrap", NB_FLOAT64, 1, {40}, .scale = 0x1.7ae147ae147aep-2, .offset = -0x1.8000000000000p+1, .mod = 0.0, .arange = true,
     .expected = "[-3.   -2.63 -2.26 -1.89 -1.52 -1.15 -0.78 -0.41 -0.04  0.33  0.7   1.07\n  1.44  1.81  2.18  2.55  2.92  3.29  3.66  4.03  4.4   4.77  5.14  5.51\n  5.88  6.25  6.62  6.99  7.36  7.73  8.1   8.47  8.84  9.21  9.58  9.95\n 10.32 10.69 11.06 11.43]"},
    {"f64_2d_wrap", NB_FLOAT64, 2, {2, 30}, .scale = 0x1.8000000000000p+0, .offset = 0.0, .mod = 0.0, .arange = true,
     .expected = "[[ 0.   1.5  3.   4.5  6.   7.5  9.  10.5 12.  13.5 15.  16.5 18.  19.5\n  21.  22.5 24.  25.5 27.  28.5 30.  31.5 33.  34.5 36.  37.5 39.  40.5\n  42.  43.5]\n [45.  46.5 48.  49.5 51.  52.5 54.  55.5 57.  58.5 60.  61.5 63.  64.5\n  66.  67.5 69.  70.5 72.  73.5 75.  76.5 78.  79.5 81.  82.5 84.  85.5\n  87.  88.5]]"},
    {"f64_exp_wrap", NB_FLOAT64, 2, {3, 12}, .scale = 0x1.81cd6c8b43958p+13, .offset = 0x1.0624dd2f1a9fcp-10, .mod = 0.0, .arange = true,
     .expected = "[[1.00000000e-03 1.23456790e+04 2.46913570e+04 3.70370350e+04\n  4.93827130e+04 6.17283910e+04 7.40740690e+04 8.64197470e+04\n  9.87654250e+04 1.11111103e+05 1.23456781e+05 1.35802459e+05]\n [1.48148137e+05 1.60493815e+05 1.72839493e+05 1.85185171e+05\n  1.97530849e+05 2.09876527e+05 2.22222205e+05 2.34567883e+05\n  2.46913561e+05 2.59259239e+05 2.71604917e+05 2.83950595e+05]\n [2.96296273e+05 3.08641951e+05 3.20987629e+05 3.33333307e+05\n  3.45678985e+05 3.58024663e+05 3.70370341e+05 3.82716019e+05\n  3.95061697e+05 4.07407375e+05 4.19753053e+05 4.32098731e+05]]"},
    {"f64_rank3", NB_FLOAT64, 3, {2, 3, 4}, .scale = 0x1.0000000000000p-1, .offset = 0.0, .mod = 0.0, .arange = true,
     .expected = "[[[ 0.   0.5  1.   1.5]\n  [ 2.   2.5  3.   3.5]\n  [ 4.   4.5  5.   5.5]]\n\n [[ 6.   6.5  7.   7.5]\n  [ 8.   8.5  9.   9.5]\n  [10.  10.5 11.  11.5]]]"},
    {"f64_rank4", NB_FLOAT64, 4, {2, 2, 2, 3}, .scale = 0x1.0000000000000p+0, .offset = -0x1.4000000000000p+2, .mod = 0.0, .arange = true,
     .expected = "[[[[-5. -4. -3.]\n   [-2. -1.  0.]]\n\n  [[ 1.  2.  3.]\n   [ 4.  5.  6.]]]\n\n\n [[[ 7.  8.  9.]\n   [10. 11. 12.]]\n\n  [[13. 14. 15.]\n   [16. 17. 18.]]]]"},
    {"f64_summary_1d", NB_FLOAT64, 1, {2000}, .scale = 0x1.0000000000000p+0, .offset = 0.0, .mod = 0.0, .arange = true,
     .expected = "[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]"},
    {"f64_summary_2d", NB_FLOAT64, 2, {40, 30}, .scale = 0x1.0000000000000p-2, .offset = 0.0, .mod = 0.0, .arange = true,
     .expected = "[[0.0000e+00 2.5000e-01 5.0000e-01 ... 6.7500e+00 7.0000e+00 7.2500e+00]\n [7.5000e+00 7.7500e+00 8.0000e+00 ... 1.4250e+01 1.4500e+01 1.4750e+01]\n [1.5000e+01 1.5250e+01 1.5500e+01 ... 2.1750e+01 2.2000e+01 2.2250e+01]\n ...\n [2.7750e+02 2.7775e+02 2.7800e+02 ... 2.8425e+02 2.8450e+02 2.8475e+02]\n [2.8500e+02 2.8525e+02 2.8550e+02 ... 2.9175e+02 2.9200e+02 2.9225e+02]\n [2.9250e+02 2.9275e+02 2.9300e+02 ... 2.9925e+02 2.9950e+02 2.9975e+02]]"},
    {"f64_summary_3d", NB_FLOAT64, 3, {10, 10, 20}, .scale = 0x1.0624dd2f1a9fcp-10, .offset = 0.0, .mod = 0.0, .arange = true,
     .expected = "[[[0.000e+00 1.000e-03 2.000e-03 ... 1.700e-02 1.800e-02 1.900e-02]\n  [2.000e-02 2.100e-02 2.200e-02 ... 3.700e-02 3.800e-02 3.900e-02]\n  [4.000e-02 4.100e-02 4.200e-02 ... 5.700e-02 5.800e-02 5.900e-02]\n  ...\n  [1.400e-01 1.410e-01 1.420e-01 ... 1.570e-01 1.580e-01 1.590e-01]\n  [1.600e-01 1.610e-01 1.620e-01 ... 1.770e-01 1.780e-01 1.790e-01]\n  [1.800e-01 1.810e-01 1.820e-01 ... 1.970e-01 1.980e-01 1.990e-01]]\n\n [[2.000e-01 2.010e-01 2.020e-01 ... 2.170e-01 2.180e-01 2.190e-01]\n  [2.200e-01 2.210e-01 2.220e-01 ... 2.370e-01 2.380e-01 2.390e-01]\n  [2.400e-01 2.410e-01 2.420e-01 ... 2.570e-01 2.580e-01 2.590e-01]\n  ...\n  [3.400e-01 3.410e-01 3.420e-01 ... 3.570e-01 3.580e-01 3.590e-01]\n  [3.600e-01 3.610e-01 3.620e-01 ... 3.770e-01 3.780e-01 3.790e-01]\n  [3.800e-01 3.810e-01 3.820e-01 ... 3.970e-01 3.980e-01 3.990e-01]]\n\n [[4.000e-01 4.010e-01 4.020e-01 ... 4.170e-01 4.180e-01 4.190e-01]\n  [4.200e-01 4.210e-01 4.220e-01 ... 4.370e-01 4.380e-01 4.390e-01]\n  [4.400e-01 4.410e-01 4.420e-01 ... 4.570e-01 4.580e-01 4.590e-01]\n  ...\n  [5.400e-01 5.410e-01 5.420e-01 ... 5.570e-01 5.580e-01 5.590e-01]\n  [5.600e-01 5.610e-01 5.620e-01 ... 5.770e-01 5.780e-01 5.790e-01]\n  [5.800e-01 5.810e-01 5.820e-01 ... 5.970e-01 5.980e-01 5.990e-01]]\n\n ...\n\n [[1.400e+00 1.401e+00 1.402e+00 ... 1.417e+00 1.418e+00 1.419e+00]\n  [1.420e+00 1.421e+00 1.422e+00 ... 1.437e+00 1.438e+00 1.439e+00]\n  [1.440e+00 1.441e+00 1.442e+00 ... 1.457e+00 1.458e+00 1.459e+00]\n  ...\n  [1.540e+00 1.541e+00 1.542e+00 ... 1.557e+00 1.558e+00 1.559e+00]\n  [1.560e+00 1.561e+00 1.562e+00 ... 1.577e+00 1.578e+00 1.579e+00]\n  [1.580e+00 1.581e+00 1.582e+00 ... 1.597e+00 1.598e+00 1.599e+00]]\n\n [[1.600e+00 1.601e+00 1.602e+00 ... 1.617e+00 1.618e+00 1.619e+00]\n  [1.620e+00 1.621e+00 1.622e+00 ... 1.637e+00 1.638e+00 1.639e+00]\n  [1.640e+00 1.641e+00 1.642e+00 ... 1.657e+00 1.658e+00 1.659e+00]\n  ...\n  [1.740e+00 1.741e+00 1.742e+00 ... 1.757e+00 1.758e+00 1.759e+00]\n  [1.760e+00 1.761e+00 1.762e+00 ... 1.777e+00 1.778e+00 1.779e+00]\n  [1.780e+00 1.781e+00 1.782e+00 ... 1.797e+00 1.798e+00 1.799e+00]]\n\n [[1.800e+00 1.801e+00 1.802e+00 ... 1.817e+00 1.818e+00 1.819e+00]\n  [1.820e+00 1.821e+00 1.822e+00 ... 1.837e+00 1.838e+00 1.839e+00]\n  [1.840e+00 1.841e+00 1.842e+00 ... 1.857e+00 1.858e+00 1.859e+00]\n  ...\n  [1.940e+00 1.941e+00 1.942e+00 ... 1.957e+00 1.958e+00 1.959e+00]\n  [1.960e+00 1.961e+00 1.962e+00 ... 1.977e+00 1.978e+00 1.979e+00]\n  [1.980e+00 1.981e+00 1.982e+00 ... 1.997e+00 1.998e+00 1.999e+00]]]"},
    {"f64_summary_short_axis", NB_FLOAT64, 2, {2, 600}, .scale = 0x1.0000000000000p+0, .offset = 0.0, .mod = 0x1.c000000000000p+2, .arange = true,
     .expected = "[[0. 1. 2. ... 2. 3. 4.]\n [5. 6. 0. ... 0. 1. 2.]]"},
    {"f64_summary_nan", NB_FLOAT64, 1, {1001}, .f = (const double[]){NAN, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0, 0x1.4000000000000p+0},
     .expected = "[ nan 1.25 1.25 ... 1.25 1.25 1.25]"},
    {"f32_tenths", NB_FLOAT32, 1, {3}, .f = (const double[]){0x1.99999a0000000p-4, 0x1.99999a0000000p-3, 0x1.3333340000000p-2},
     .expected = "[0.1 0.2 0.3]"},
    {"f32_third", NB_FLOAT32, 1, {2}, .f = (const double[]){0x1.5555560000000p-2, 0x1.5555560000000p-1},
     .expected = "[0.33333334 0.6666667 ]"},
    {"f32_pi", NB_FLOAT32, 1, {2}, .f = (const double[]){0x1.921fb60000000p+1, -0x1.5bf0a80000000p+1},
     .expected = "[ 3.1415927 -2.7182817]"},
    {"f32_exp_digits", NB_FLOAT32, 1, {2}, .f = (const double[]){0x1.99999a0000000p-4, 0x1.9e40940000000p-17},
     .expected = "[1.0000000e-01 1.2345679e-05]"},
    {"f32_large", NB_FLOAT32, 1, {2}, .f = (const double[]){0x1.7d783e0000000p+26, 0x1.0000000000000p+0},
     .expected = "[9.999999e+07 1.000000e+00]"},
    {"f32_2p24", NB_FLOAT32, 1, {2}, .f = (const double[]){0x1.0000000000000p+24, 0x1.0000000000000p-1},
     .expected = "[1.6777216e+07 5.0000000e-01]"},
    {"f32_denormal", NB_FLOAT32, 1, {2}, .f = (const double[]){0x1.0000000000000p-149, 0x1.0000000000000p+0},
     .expected = "[1.e-45 1.e+00]"},
    {"f32_max", NB_FLOAT32, 1, {2}, .f = (const double[]){0x1.fffffe0000000p+127, -0x1.0000000000000p-126},
     .expected = "[ 3.4028235e+38 -1.1754944e-38]"},
    {"f32_ratio", NB_FLOAT32, 1, {2}, .f = (const double[]){0x1.0624de0000000p-10, 0x1.0000020000000p+0},
     .expected = "[1.0000000e-03 1.0000001e+00]"},
    {"f32_wrap", NB_FLOAT32, 2, {5, 9}, .scale = 0x1.999999999999ap-4, .offset = 0.0, .mod = 0.0, .arange = true,
     .expected = "[[0.  0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8]\n [0.9 1.  1.1 1.2 1.3 1.4 1.5 1.6 1.7]\n [1.8 1.9 2.  2.1 2.2 2.3 2.4 2.5 2.6]\n [2.7 2.8 2.9 3.  3.1 3.2 3.3 3.4 3.5]\n [3.6 3.7 3.8 3.9 4.  4.1 4.2 4.3 4.4]]"},
    {"f32_rank3_nan", NB_FLOAT32, 3, {2, 2, 2}, .f = (const double[]){0x1.0000000000000p+0, NAN, -INFINITY, 0x1.0000000000000p-1, -0.0, 0x1.0000000000000p+1, 0x1.8000000000000p+1, 0x1.0000000000000p+2},
     .expected = "[[[ 1.   nan]\n  [-inf  0.5]]\n\n [[-0.   2. ]\n  [ 3.   4. ]]]"},
    {"i32_simple", NB_INT32, 1, {3}, .i = (const int64_t[]){INT64_C(1), INT64_C(2), INT64_C(3)},
     .expected = "[1 2 3]"},
    {"i32_pad", NB_INT32, 1, {3}, .i = (const int64_t[]){INT64_C(-5), INT64_C(100), INT64_C(7)},
     .expected = "[ -5 100   7]"},
    {"i32_2d", NB_INT32, 2, {2, 3}, .i = (const int64_t[]){INT64_C(1), INT64_C(-20), INT64_C(300), INT64_C(4), INT64_C(5), INT64_C(6)},
     .expected = "[[  1 -20 300]\n [  4   5   6]]"},
    {"i32_wrap", NB_INT32, 1, {40}, .scale = 0x1.0000000000000p+0, .offset = 0.0, .mod = 0.0, .arange = true,
     .expected = "[ 0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15 16 17 18 19 20 21 22 23\n 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39]"},
    {"i32_wrap_wide", NB_INT32, 1, {30}, .scale = 0x1.8697000000000p+16, .offset = -0x1.e848000000000p+19, .mod = 0.0, .arange = true,
     .expected = "[-1000000  -900009  -800018  -700027  -600036  -500045  -400054  -300063\n  -200072  -100081      -90    99901   199892   299883   399874   499865\n   599856   699847   799838   899829   999820  1099811  1199802  1299793\n  1399784  1499775  1599766  1699757  1799748  1899739]"},
    {"i32_rank3", NB_INT32, 3, {2, 3, 4}, .scale = 0x1.0000000000000p+0, .offset = 0.0, .mod = 0.0, .arange = true,
     .expected = "[[[ 0  1  2  3]\n  [ 4  5  6  7]\n  [ 8  9 10 11]]\n\n [[12 13 14 15]\n  [16 17 18 19]\n  [20 21 22 23]]]"},
    {"i32_summary", NB_INT32, 1, {1001}, .scale = 0x1.0000000000000p+0, .offset = 0.0, .mod = 0.0, .arange = true,
     .expected = "[   0    1    2 ...  998  999 1000]"},
    {"i32_summary_2d", NB_INT32, 2, {30, 100}, .scale = 0x1.0000000000000p+0, .offset = 0.0, .mod = 0.0, .arange = true,
     .expected = "[[   0    1    2 ...   97   98   99]\n [ 100  101  102 ...  197  198  199]\n [ 200  201  202 ...  297  298  299]\n ...\n [2700 2701 2702 ... 2797 2798 2799]\n [2800 2801 2802 ... 2897 2898 2899]\n [2900 2901 2902 ... 2997 2998 2999]]"},
    {"i32_rank5", NB_INT32, 5, {2, 1, 2, 1, 3}, .scale = 0x1.0000000000000p+0, .offset = 0.0, .mod = 0.0, .arange = true,
     .expected = "[[[[[ 0  1  2]]\n\n   [[ 3  4  5]]]]\n\n\n\n [[[[ 6  7  8]]\n\n   [[ 9 10 11]]]]]"},
    {"i32_rank8", NB_INT32, 8, {1, 2, 1, 2, 1, 1, 2, 2}, .scale = 0x1.8000000000000p+1, .offset = -0x1.4000000000000p+4, .mod = 0.0, .arange = true,
     .expected = "[[[[[[[[-20 -17]\n       [-14 -11]]]]\n\n\n\n    [[[[ -8  -5]\n       [ -2   1]]]]]]\n\n\n\n\n\n  [[[[[[  4   7]\n       [ 10  13]]]]\n\n\n\n    [[[[ 16  19]\n       [ 22  25]]]]]]]]"},
    {"i64_extremes", NB_INT64, 1, {3}, .i = (const int64_t[]){INT64_MIN, INT64_C(9223372036854775807), INT64_C(0)},
     .expected = "[-9223372036854775808  9223372036854775807                    0]"},
    {"i64_simple", NB_INT64, 2, {2, 2}, .i = (const int64_t[]){INT64_C(10), INT64_C(-1), INT64_C(0), INT64_C(123456789012)},
     .expected = "[[          10           -1]\n [           0 123456789012]]"},
    {"u8_simple", NB_UINT8, 1, {4}, .i = (const int64_t[]){INT64_C(0), INT64_C(255), INT64_C(7), INT64_C(42)},
     .expected = "[  0 255   7  42]"},
    {"u8_2d", NB_UINT8, 2, {3, 3}, .scale = 0x1.0000000000000p+0, .offset = 0.0, .mod = 0x1.2000000000000p+3, .arange = true,
     .expected = "[[0 1 2]\n [3 4 5]\n [6 7 8]]"},
    {"bool_1d", NB_BOOL, 1, {2}, .i = (const int64_t[]){INT64_C(1), INT64_C(0)},
     .expected = "[ True False]"},
    {"bool_all_false", NB_BOOL, 1, {2}, .i = (const int64_t[]){INT64_C(0), INT64_C(0)},
     .expected = "[False False]"},
    {"bool_2d", NB_BOOL, 2, {2, 3}, .i = (const int64_t[]){INT64_C(1), INT64_C(0), INT64_C(1), INT64_C(0), INT64_C(0), INT64_C(1)},
     .expected = "[[ True False  True]\n [False False  True]]"},
    {"bool_wrap", NB_BOOL, 1, {20}, .scale = 0x1.0000000000000p+0, .offset = 0.0, .mod = 0x1.8000000000000p+1, .arange = true,
     .expected = "[False  True  True False  True  True False  True  True False  True  True\n False  True  True False  True  True False  True]"},
    {"bool_summary", NB_BOOL, 1, {1001}, .scale = 0x1.0000000000000p+0, .offset = 0.0, .mod = 0x1.0000000000000p+1, .arange = true,
     .expected = "[False  True False ... False  True False]"},
    {"scalar_f64", NB_FLOAT64, 0, {0}, .f = (const double[]){0x1.8000000000000p+0},
     .expected = "1.5"},
    {"scalar_f64_one", NB_FLOAT64, 0, {0}, .f = (const double[]){0x1.0000000000000p+0},
     .expected = "1.0"},
    {"scalar_f64_1e16", NB_FLOAT64, 0, {0}, .f = (const double[]){0x1.1c37937e08000p+53},
     .expected = "1e+16"},
    {"scalar_f64_1e15", NB_FLOAT64, 0, {0}, .f = (const double[]){0x1.c6bf526340000p+49},
     .expected = "1000000000000000.0"},
    {"scalar_f64_small", NB_FLOAT64, 0, {0}, .f = (const double[]){0x1.4f8b588e368f1p-17},
     .expected = "1e-05"},
    {"scalar_f64_1e-4", NB_FLOAT64, 0, {0}, .f = (const double[]){0x1.a36e2eb1c432dp-14},
     .expected = "0.0001"},
    {"scalar_f64_neg_zero", NB_FLOAT64, 0, {0}, .f = (const double[]){-0.0},
     .expected = "-0.0"},
    {"scalar_f64_nan", NB_FLOAT64, 0, {0}, .f = (const double[]){NAN},
     .expected = "nan"},
    {"scalar_f64_neg_inf", NB_FLOAT64, 0, {0}, .f = (const double[]){-INFINITY},
     .expected = "-inf"},
    {"scalar_f64_long", NB_FLOAT64, 0, {0}, .f = (const double[]){0x1.d6f34547e6b75p+26},
     .expected = "123456789.12345679"},
    {"scalar_f64_third", NB_FLOAT64, 0, {0}, .f = (const double[]){0x1.5555555555555p-2},
     .expected = "0.3333333333333333"},
    {"scalar_f32_tenth", NB_FLOAT32, 0, {0}, .f = (const double[]){0x1.99999a0000000p-4},
     .expected = "0.1"},
    {"scalar_f32_2p24", NB_FLOAT32, 0, {0}, .f = (const double[]){0x1.0000000000000p+24},
     .expected = "16777216.0"},
    {"scalar_f32_big", NB_FLOAT32, 0, {0}, .f = (const double[]){0x1.fffffe0000000p+127},
     .expected = "3.4028235e+38"},
    {"scalar_i32", NB_INT32, 0, {0}, .i = (const int64_t[]){INT64_C(3)},
     .expected = "3"},
    {"scalar_i64", NB_INT64, 0, {0}, .i = (const int64_t[]){INT64_C(-7)},
     .expected = "-7"},
    {"scalar_u8", NB_UINT8, 0, {0}, .i = (const int64_t[]){INT64_C(200)},
     .expected = "200"},
    {"scalar_bool_true", NB_BOOL, 0, {0}, .i = (const int64_t[]){INT64_C(1)},
     .expected = "True"},
    {"scalar_bool_false", NB_BOOL, 0, {0}, .i = (const int64_t[]){INT64_C(0)},
     .expected = "False"},
    {"empty_1d", NB_FLOAT64, 1, {0}, .f = (const double[]){0},
     .expected = "[]"},
    {"empty_2x0", NB_FLOAT32, 2, {2, 0}, .f = (const double[]){0},
     .expected = "[]"},
    {"empty_0x3x2", NB_INT32, 3, {0, 3, 2}, .i = (const int64_t[]){0},
     .expected = "[]"},
};
/* END PRINT FIXTURES */

static nb_tensor *build_case(const print_case *c) {
    if (c->arange)
        return make_pattern(c->dtype, c->rank, c->dims, (pattern){c->scale, c->offset, c->mod});
    nb_tensor *t = nb_tensor_new(c->dtype, c->rank, c->dims, NULL);
    if (!t) return NULL;
    void *d = nb_tensor_data(t);
    for (int64_t k = 0; k < nb_tensor_size(t); k++) {
        switch (c->dtype) {
        case NB_FLOAT32: ((float *)d)[k] = (float)c->f[k]; break;
        case NB_FLOAT64: ((double *)d)[k] = c->f[k]; break;
        case NB_INT32: ((int32_t *)d)[k] = (int32_t)c->i[k]; break;
        case NB_INT64: ((int64_t *)d)[k] = c->i[k]; break;
        default: ((uint8_t *)d)[k] = (uint8_t)c->i[k]; break;
        }
    }
    return t;
}

TEST(print_matches_numpy_fixtures) {
    size_t n = sizeof print_cases / sizeof print_cases[0];
    CHECK(n > 80);
    for (size_t k = 0; k < n; k++) {
        const print_case *c = &print_cases[k];
        nb_tensor *t = build_case(c);
        checks_++;
        if (!t) {
            FAILF("%s: could not build the tensor", c->name);
            continue;
        }
        char *s = nb_tensor_to_string(t);
        checks_++;
        if (!s || strcmp(s, c->expected) != 0)
            FAILF("%s:\n got:\n%s\n numpy:\n%s", c->name, s ? s : "(null)", c->expected);
        free(s);
        nb_tensor_unref(t);
    }
}

TEST(print_writes_line) {
    nb_tensor *t = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){2}, (float[]){1.5f, 2.25f});
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f) return;
    nb_tensor_print(f, t);
    nb_tensor_print(f, NULL);
    rewind(f);
    char buf[128] = {0};
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    CHECK(got > 0);
    CHECK_STR_EQ(buf, "[1.5  2.25]\n(null)\n");
    nb_tensor_unref(t);
}

TEST(print_big_tensors_summarize) {
    /* a rank-8 tensor with > 1000 elements: every axis longer than 6 is cut */
    int64_t dims[8] = {2, 2, 2, 2, 2, 2, 2, 10};
    nb_tensor *t = nb_tensor_ones(NB_INT32, 8, dims);
    char *s = nb_tensor_to_string(t);
    CHECK(s != NULL);
    CHECK_STR_CONTAINS(s, "[[[[[[[[1 1 1 ... 1 1 1]");
    CHECK_STR_CONTAINS(s, "]]]]]]]\n\n\n\n\n\n\n [[[[[[[");
    free(s);
    nb_tensor_unref(t);
    int64_t big = 1 << 20;
    t = nb_tensor_random_normal(NB_FLOAT32, 1, &big, 0, 1, 1);
    s = nb_tensor_to_string(t);
    CHECK(s && strlen(s) < 200);
    CHECK_STR_CONTAINS(s, " ... ");
    free(s);
    nb_tensor_unref(t);
}

/*** .npy files: round trips *************************************************/

TEST(npy_round_trip_every_dtype_and_rank) {
    nb_error err;
    for (int d = 0; d < N_DTYPES; d++) {
        for (int s = 0; s < N_SHAPES; s++) {
            nb_dtype dt = all_dtypes[d];
            nb_tensor *t = make_pattern(dt, npy_shapes[s].rank, npy_shapes[s].dims,
                                        dtype_pattern(dt));
            char name[64];
            snprintf(name, sizeof name, "rt_%s_%s.npy", nb_dtype_name(dt), npy_shapes[s].tag);
            const char *path = tmp_path(name);
            CHECK_STATUS(nb_npy_save(path, t, &err), NB_OK);
            CHECK(err.code == NB_OK && err.message[0] == 0);
            nb_tensor *back = nb_npy_load(path, &err);
            checks_++;
            if (!back || !nb_tensor_equal(t, back))
                FAILF("%s: round trip failed: %s", name, back ? "values differ" : err.message);
            /* the header is padded to 64 bytes and the data follows it */
            size_t n = 0;
            uint8_t *bytes = read_all(path, &n);
            CHECK(bytes && n >= 64);
            if (bytes && n >= 10) {
                size_t hl = (size_t)bytes[8] | (size_t)bytes[9] << 8;
                CHECK((10 + hl) % 64 == 0);
                CHECK(n == 10 + hl + nb_tensor_nbytes(t));
                CHECK(bytes[10 + hl - 1] == '\n');
            }
            free(bytes);
            nb_tensor_unref(back);
            nb_tensor_unref(t);
        }
    }
}

TEST(npy_header_text_is_numpys) {
    nb_error err;
    nb_tensor *t = nb_tensor_zeros(NB_FLOAT32, 1, (int64_t[]){3});
    const char *path = tmp_path("header.npy");
    CHECK_STATUS(nb_npy_save(path, t, &err), NB_OK);
    size_t n = 0;
    uint8_t *b = read_all(path, &n);
    CHECK(b && n == 128 + 12);
    if (b && n >= 128) {
        CHECK(memcmp(b, "\x93NUMPY\x01\x00\x76\x00", 10) == 0);
        const char *want = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
        CHECK(memcmp(b + 10, want, strlen(want)) == 0);
        CHECK(b[127] == '\n' && b[126] == ' ');
    }
    free(b);
    nb_tensor_unref(t);

    t = nb_tensor_scalar(NB_BOOL, 1);
    CHECK_STATUS(nb_npy_save(path, t, &err), NB_OK);
    b = read_all(path, &n);
    CHECK(b && n == 128 + 1);
    if (b && n == 129) {
        const char *want = "{'descr': '|b1', 'fortran_order': False, 'shape': (), }";
        CHECK(memcmp(b + 10, want, strlen(want)) == 0);
        CHECK(b[128] == 1 && b[127] == '\n');
    }
    free(b);
    nb_tensor_unref(t);
}

TEST(npy_save_is_atomic_and_reports_errors) {
    nb_error err;
    nb_tensor *t = nb_tensor_ones(NB_FLOAT64, 2, (int64_t[]){4, 4});
    char dir[700];
    snprintf(dir, sizeof dir, "%s", tmp_path("atomic"));
    CHECK(mkdir(dir, 0755) == 0);
    char path[800];
    snprintf(path, sizeof path, "%s/w.npy", dir);
    CHECK_STATUS(nb_npy_save(path, t, &err), NB_OK);
    CHECK_STATUS(nb_npy_save(path, t, &err), NB_OK); /* overwrite */
    CHECK(count_dir_entries(dir) == 1);              /* no temporary left */
    unlink(path);

    /* a missing directory: error names the path, nothing is left behind */
    char bad[800];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.npy", dir);
    nb_status st = nb_npy_save(bad, t, &err);
    CHECK(st == NB_ERR_NOT_FOUND && err.code == st); /* docs/bad_inputs.md's row */
    CHECK_STR_CONTAINS(err.message, bad);
    CHECK_STR_CONTAINS(err.message, ": cannot create a temporary file next to it: No such file or directory");
    CHECK(count_dir_entries(dir) == 0);
    /* a target that is a directory: rename fails, the temporary is removed */
    char sub[800];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    CHECK(mkdir(sub, 0755) == 0);
    char inner[900];
    snprintf(inner, sizeof inner, "%s/f", sub);
    CHECK(write_bytes(inner, "x", 1));
    st = nb_npy_save(sub, t, &err);
    CHECK(st == NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, sub);
    CHECK(count_dir_entries(dir) == 1);
    unlink(inner);
    rmdir(sub);
    rmdir(dir);

    CHECK_STATUS(nb_npy_save(NULL, t, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_npy_save(tmp_path("null.npy"), NULL, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_npy_save(bad, t, NULL), nb_npy_save(bad, t, &err)); /* err may be NULL */
    nb_tensor_unref(t);
}

/*** .npy files: interop with numpy ******************************************/

#define PYTHON "/usr/bin/python3"

/* Fails the current test (never skips) when numpy cannot be run. */
static bool numpy_available(void) {
    if (access(PYTHON, X_OK) != 0) {
        FAILF(PYTHON " is missing: install python3-numpy (apt-get install -y python3-numpy) "
              "to run the numpy interop tests");
        return false;
    }
    if (system(PYTHON " -c \"import numpy\" >/dev/null 2>&1") != 0) {
        FAILF("numpy cannot be imported by " PYTHON ": install python3-numpy "
              "(apt-get install -y python3-numpy) to run the numpy interop tests");
        return false;
    }
    return true;
}

/* Python shared by both directions: the same value patterns as make_pattern. */
static const char py_common[] =
    "import sys, os, io\n"
    "import numpy as np\n"
    "PAT = {'float32': (0.5, -1.25, 0), 'float64': (0.1, -2.0, 0), 'int32': (7, -20, 0),\n"
    "       'int64': (1000000007, -5, 0), 'uint8': (37, 3, 256), 'bool': (1, 0, 3)}\n"
    "SHAPES = {'r0': (), 'r1': (3,), 'r2': (2, 3), 'r3': (2, 3, 4), 'e1': (0,),\n"
    "          'e3': (2, 0, 3)}\n"
    "def make(dt, shape):\n"
    "    scale, offset, mod = PAT[dt]\n"
    "    a = np.arange(int(np.prod(shape)), dtype=np.float64) * scale + offset\n"
    "    if mod:\n"
    "        a = a % mod\n"
    "    return a.astype(dt).reshape(shape)\n"
    "d = sys.argv[1]\n";

/* Checks files nabla wrote: values, dtype, shape, and byte-identical to np.save. */
static const char py_check[] =
    "bad = 0\n"
    "for dt in PAT:\n"
    "    for tag, shape in SHAPES.items():\n"
    "        path = os.path.join(d, 'c_%s_%s.npy' % (dt, tag))\n"
    "        a = np.load(path)\n"
    "        want = make(dt, shape)\n"
    "        if a.dtype != want.dtype or a.shape != want.shape or not np.array_equal(a, want):\n"
    "            print('MISMATCH', path, a.dtype, a.shape, a, want); bad += 1\n"
    "        buf = io.BytesIO(); np.save(buf, want)\n"
    "        if buf.getvalue() != open(path, 'rb').read():\n"
    "            print('BYTES DIFFER from np.save', path); bad += 1\n"
    "s = np.load(os.path.join(d, 'c_special.npy'))\n"
    "want = np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, 1.7976931348623157e308])\n"
    "if not (np.array_equal(s, want, equal_nan=True) and np.signbit(s[3])):\n"
    "    print('MISMATCH special', s); bad += 1\n"
    "sys.exit(1 if bad else 0)\n";

/* Writes files for nabla to read: every dtype and rank, big-endian, versions 2 and 3. */
static const char py_gen[] =
    "for dt in PAT:\n"
    "    for tag, shape in SHAPES.items():\n"
    "        np.save(os.path.join(d, 'py_%s_%s.npy' % (dt, tag)), make(dt, shape))\n"
    "for dt in ('float32', 'float64', 'int32', 'int64'):\n"
    "    a = make(dt, (2, 3, 4))\n"
    "    np.save(os.path.join(d, 'py_be_%s.npy' % dt), a.astype(a.dtype.newbyteorder('>')))\n"
    "for v in ((2, 0), (3, 0)):\n"
    "    with open(os.path.join(d, 'py_v%d.npy' % v[0]), 'wb') as f:\n"
    "        np.lib.format.write_array(f, make('float64', (2, 3)), version=v)\n"
    "np.save(os.path.join(d, 'py_fortran.npy'), np.asfortranarray(make('float32', (2, 3))))\n"
    "np.save(os.path.join(d, 'py_complex.npy'), np.zeros(3, dtype=np.complex128))\n"
    "np.save(os.path.join(d, 'py_int16.npy'), np.zeros(3, dtype=np.int16))\n"
    "np.save(os.path.join(d, 'py_rank9.npy'), np.zeros((1,) * 9, dtype=np.float32))\n"
    "np.save(os.path.join(d, 'py_special.npy'),\n"
    "        np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45], dtype=np.float32))\n";

static int run_python(const char *script_name, const char *body) {
    const char *script = tmp_path(script_name);
    FILE *f = fopen(script, "w");
    if (!f) return -1;
    fputs(py_common, f);
    fputs(body, f);
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, PYTHON " '%s' '%s'", script, tmp_dir());
    return system(cmd);
}

TEST(npy_numpy_reads_what_nabla_writes) {
    if (!numpy_available()) return;
    nb_error err;
    for (int d = 0; d < N_DTYPES; d++)
        for (int s = 0; s < N_SHAPES; s++) {
            nb_dtype dt = all_dtypes[d];
            nb_tensor *t = make_pattern(dt, npy_shapes[s].rank, npy_shapes[s].dims,
                                        dtype_pattern(dt));
            char name[64];
            snprintf(name, sizeof name, "c_%s_%s.npy", nb_dtype_name(dt), npy_shapes[s].tag);
            CHECK_STATUS(nb_npy_save(tmp_path(name), t, &err), NB_OK);
            nb_tensor_unref(t);
        }
    nb_tensor *sp = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){6},
                                  (double[]){NAN, INFINITY, -INFINITY, -0.0, 5e-324,
                                             1.7976931348623157e308});
    CHECK_STATUS(nb_npy_save(tmp_path("c_special.npy"), sp, &err), NB_OK);
    nb_tensor_unref(sp);
    int rc = run_python("check.py", py_check);
    checks_++;
    if (rc != 0) FAILF("numpy rejected files written by nb_npy_save (python exit %d)", rc);
}

TEST(npy_nabla_reads_what_numpy_writes) {
    if (!numpy_available()) return;
    int rc = run_python("gen.py", py_gen);
    checks_++;
    if (rc != 0) {
        FAILF("the numpy script that writes .npy files failed (python exit %d)", rc);
        return;
    }
    nb_error err;
    for (int d = 0; d < N_DTYPES; d++)
        for (int s = 0; s < N_SHAPES; s++) {
            nb_dtype dt = all_dtypes[d];
            nb_tensor *want = make_pattern(dt, npy_shapes[s].rank, npy_shapes[s].dims,
                                           dtype_pattern(dt));
            char name[64];
            snprintf(name, sizeof name, "py_%s_%s.npy", nb_dtype_name(dt), npy_shapes[s].tag);
            nb_tensor *got = nb_npy_load(tmp_path(name), &err);
            checks_++;
            if (!got || !nb_tensor_equal(got, want))
                FAILF("%s: %s", name, got ? "values differ" : err.message);
            nb_tensor_unref(got);
            nb_tensor_unref(want);
        }
    const nb_dtype be[4] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64};
    for (int k = 0; k < 4; k++) {
        char name[64];
        snprintf(name, sizeof name, "py_be_%s.npy", nb_dtype_name(be[k]));
        nb_tensor *want = make_pattern(be[k], 3, (int64_t[]){2, 3, 4}, dtype_pattern(be[k]));
        nb_tensor *got = nb_npy_load(tmp_path(name), &err);
        checks_++;
        if (!got || !nb_tensor_equal(got, want))
            FAILF("%s (big-endian): %s", name, got ? "values differ" : err.message);
        nb_tensor_unref(got);
        nb_tensor_unref(want);
    }
    for (int v = 2; v <= 3; v++) {
        char name[64];
        snprintf(name, sizeof name, "py_v%d.npy", v);
        nb_tensor *want = make_pattern(NB_FLOAT64, 2, (int64_t[]){2, 3}, dtype_pattern(NB_FLOAT64));
        nb_tensor *got = nb_npy_load(tmp_path(name), &err);
        checks_++;
        if (!got || !nb_tensor_equal(got, want))
            FAILF("%s (format %d.0): %s", name, v, got ? "values differ" : err.message);
        nb_tensor_unref(got);
        nb_tensor_unref(want);
    }
    nb_tensor *sp = nb_npy_load(tmp_path("py_special.npy"), &err);
    CHECK(sp && nb_tensor_dtype(sp) == NB_FLOAT32 && nb_tensor_size(sp) == 5);
    if (sp && nb_tensor_size(sp) == 5) {
        const float *v = nb_tensor_data(sp);
        CHECK(isnan(v[0]) && v[1] == INFINITY && v[2] == -INFINITY);
        CHECK(v[3] == 0 && signbit(v[3]) && v[4] > 0 && v[4] < 1e-44f);
    }
    nb_tensor_unref(sp);

    static const struct {
        const char *file, *needle;
        nb_status code;
    } rejects[] = {
        {"py_fortran.npy", "fortran_order", NB_ERR_UNIMPLEMENTED},
        {"py_complex.npy", "'<c16'", NB_ERR_DTYPE},
        {"py_int16.npy", "'<i2'", NB_ERR_DTYPE},
        {"py_rank9.npy", "more than 8 dimensions", NB_ERR_UNIMPLEMENTED},
    };
    for (size_t k = 0; k < sizeof rejects / sizeof rejects[0]; k++) {
        const char *path = tmp_path(rejects[k].file);
        nb_tensor *t = nb_npy_load(path, &err);
        CHECK(t == NULL);
        nb_tensor_unref(t);
        CHECK(err.code == rejects[k].code);
        CHECK_STR_CONTAINS(err.message, path);
        CHECK_STR_CONTAINS(err.message, rejects[k].needle);
        CHECK_STR_CONTAINS(err.message, "byte ");
    }
}

/*** .npy files: damaged input ***********************************************/

/* A valid v1 file: a header dict text (padded here) followed by nbytes of data. */
static size_t build_npy(uint8_t *out, size_t cap, int major, const char *dict, size_t data_bytes) {
    size_t lenbytes = major == 1 ? 2 : 4, pre = 8 + lenbytes;
    size_t dl = strlen(dict), hl = dl + 1;
    size_t pad = (64 - (pre + hl) % 64) % 64;
    size_t total = pre + hl + pad + data_bytes;
    if (total > cap) return 0;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (uint8_t)major;
    out[7] = 0;
    size_t h = hl + pad;
    for (size_t i = 0; i < lenbytes; i++) out[8 + i] = (uint8_t)(h >> (8 * i));
    memcpy(out + pre, dict, dl);
    memset(out + pre + dl, ' ', pad);
    out[pre + hl + pad - 1] = '\n';
    for (size_t i = 0; i < data_bytes; i++) out[pre + h + i] = (uint8_t)(i * 7);
    return total;
}

static void expect_reject(const char *name, const void *bytes, size_t n, const char *needle) {
    const char *path = tmp_path(name);
    if (!write_bytes(path, bytes, n)) {
        FAILF("cannot write %s", path);
        return;
    }
    nb_error err;
    memset(&err, 0, sizeof err);
    nb_tensor *t = nb_npy_load(path, &err);
    checks_++;
    if (t) FAILF("%s: loaded a damaged file", name);
    nb_tensor_unref(t);
    checks_++;
    if (err.code == NB_OK) FAILF("%s: no error code", name);
    CHECK_STR_CONTAINS(err.message, path);
    CHECK_STR_CONTAINS(err.message, needle);
}

TEST(npy_rejects_damaged_files) {
    uint8_t buf[4096];
    const char *f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    size_t n = build_npy(buf, sizeof buf, 1, f4, 24);
    CHECK(n == 128 + 24);

    /* the valid base loads */
    const char *ok = tmp_path("ok.npy");
    CHECK(write_bytes(ok, buf, n));
    nb_error err;
    nb_tensor *t = nb_npy_load(ok, &err);
    CHECK(t && nb_tensor_size(t) == 6);
    nb_tensor_unref(t);

    expect_reject("empty.npy", buf, 0, "byte 0");
    expect_reject("magic_short.npy", buf, 4, "byte 4");
    expect_reject("trunc_header.npy", buf, 40, "truncated");
    expect_reject("trunc_len.npy", buf, 9, "byte 8");
    expect_reject("trunc_data.npy", buf, n - 5, "from byte 128");

    uint8_t b2[4096];
    memcpy(b2, buf, n);
    b2[1] = 'X';
    expect_reject("bad_magic.npy", b2, n, "bad magic string at byte 1");
    memcpy(b2, "PK\x03\x04", 4); /* a zip file, e.g. an .npz */
    expect_reject("zip.npy", b2, n, "byte 0");

    memcpy(b2, buf, n);
    b2[6] = 4;
    expect_reject("version4.npy", b2, n, "version 4.0");
    memcpy(b2, buf, n);
    b2[7] = 1;
    expect_reject("version1_1.npy", b2, n, "version 1.1");

    /* absurd header lengths: 65535 (v1) and 4 GiB (v2) in small files */
    memcpy(b2, buf, n);
    b2[8] = 0xff;
    b2[9] = 0xff;
    expect_reject("absurd_v1.npy", b2, n, "65535");
    size_t n2 = build_npy(b2, sizeof b2, 2, f4, 24);
    b2[8] = 0xf0;
    b2[9] = b2[10] = b2[11] = 0xff;
    expect_reject("absurd_v2.npy", b2, n2, "4294967280");

    /* a header that does not end where it says: the dict runs into the data */
    memcpy(b2, buf, n);
    b2[8] = 20;
    b2[9] = 0;
    expect_reject("short_hlen.npy", b2, n, "byte ");

    static const struct {
        const char *name, *dict, *needle;
    } dicts[] = {
        {"dtype_c16.npy", "{'descr': '<c16', 'fortran_order': False, 'shape': (2, 3), }",
         "unsupported dtype '<c16'"},
        {"dtype_u4.npy", "{'descr': '<u4', 'fortran_order': False, 'shape': (2, 3), }",
         "unsupported dtype '<u4'"},
        {"dtype_pipe_f4.npy", "{'descr': '|f4', 'fortran_order': False, 'shape': (2, 3), }",
         "unsupported dtype '|f4'"},
        {"dtype_struct.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }",
         "unsupported 'descr'"},
        {"fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
         "fortran_order True"},
        {"order_bad.npy", "{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }",
         "'fortran_order' is not True or False"},
        {"no_shape.npy", "{'descr': '<f4', 'fortran_order': False, }", "lacks"},
        {"extra_key.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1, }",
         "unexpected or repeated key"},
        {"dup_key.npy", "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (), }",
         "unexpected or repeated key"},
        {"shape_list.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }",
         "'shape' is not a tuple"},
        {"shape_neg.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }",
         "negative dimension"},
        {"shape_float.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }",
         "expected ',' or ')'"},
        {"shape_paren.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (6), }",
         "'shape' is not a tuple"},
        {"shape_huge.npy",
         "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }",
         "dimension too large"},
        {"shape_overflow.npy",
         "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
         "too large"},
        {"shape_big_data.npy",
         "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }",
         "truncated .npy data"},
        {"not_dict.npy", "['descr', '<f4']", "expected '{'"},
        {"unclosed.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)",
         "expected ',' or '}'"},
        {"trailing.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } x",
         "unexpected text"},
        {"unquoted.npy", "{descr: '<f4', 'fortran_order': False, 'shape': (2, 3), }",
         "quoted key"},
        {"rank9.npy",
         "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }",
         "more than 8 dimensions"},
    };
    for (size_t k = 0; k < sizeof dicts / sizeof dicts[0]; k++) {
        size_t m = build_npy(b2, sizeof b2, 1, dicts[k].dict, 24);
        expect_reject(dicts[k].name, b2, m, dicts[k].needle);
        expect_reject(dicts[k].name, b2, m, "byte ");
    }

    /* accepted variants: other spacing, double quotes, no trailing comma, v2/v3 */
    static const char *const good[] = {
        "{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(2,3)}",
        "{ 'shape' : ( 2 , 3 , ) , 'fortran_order' : False , 'descr' : '<f4' }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",
    };
    for (size_t k = 0; k < 3; k++) {
        for (int major = 1; major <= 3; major++) {
            size_t m = build_npy(b2, sizeof b2, major, good[k], 24);
            const char *p = tmp_path("variant.npy");
            CHECK(write_bytes(p, b2, m));
            t = nb_npy_load(p, &err);
            checks_++;
            if (!t || nb_tensor_dim(t, 1) != 3) FAILF("variant %zu v%d: %s", k, major, err.message);
            nb_tensor_unref(t);
        }
    }

    /* missing files and directories */
    t = nb_npy_load(tmp_path("does_not_exist.npy"), &err);
    CHECK(t == NULL && err.code == NB_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.message, "does_not_exist.npy");
    t = nb_npy_load(tmp_dir(), &err);
    CHECK(t == NULL && err.code != NB_OK);
    CHECK_STR_CONTAINS(err.message, tmp_dir());
    CHECK(nb_npy_load(NULL, &err) == NULL && err.code == NB_ERR_INVALID_ARGUMENT);
    CHECK(nb_npy_load(tmp_path("does_not_exist.npy"), NULL) == NULL);
}

/* Every truncation and many single-byte corruptions of a valid file load or
 * fail cleanly (the sanitizer build turns any overread into a failure). */
TEST(npy_load_survives_corruption) {
    uint8_t buf[4096], b2[4096];
    size_t n = build_npy(buf, sizeof buf, 1,
                         "{'descr': '<i8', 'fortran_order': False, 'shape': (3, 2), }", 48);
    const char *path = tmp_path("fuzz.npy");
    nb_error err;
    for (size_t len = 0; len < n; len++) {
        CHECK(write_bytes(path, buf, len));
        nb_tensor *t = nb_npy_load(path, &err);
        checks_++;
        if (t) FAILF("a file cut to %zu of %zu bytes loaded", len, n);
        nb_tensor_unref(t);
        checks_++;
        if (!strstr(err.message, path) || !strstr(err.message, "byte "))
            FAILF("cut to %zu: message \"%s\" lacks the path or byte", len, err.message);
    }
    uint32_t rng = 12345;
    for (int k = 0; k < 3000; k++) {
        memcpy(b2, buf, n);
        for (int flips = 0; flips < 1 + k % 3; flips++) {
            rng = rng * 1103515245u + 12345u;
            size_t at = (rng >> 8) % 64; /* the preamble and header */
            rng = rng * 1103515245u + 12345u;
            b2[at] = (uint8_t)(rng >> 16);
        }
        CHECK(write_bytes(path, b2, n));
        nb_tensor *t = nb_npy_load(path, &err);
        if (!t) {
            checks_++;
            if (!strstr(err.message, path)) FAILF("message \"%s\" lacks the path", err.message);
        }
        nb_tensor_unref(t);
    }
}

static void noop_deleter(void *data, size_t nbytes, void *ctx) {
    (void)data; (void)nbytes;
    *(int *)ctx += 1;
}

TEST(tensor_is_exclusive) {
    int64_t dims[1] = {3};
    nb_tensor *t = nb_tensor_zeros(NB_FLOAT32, 1, dims);
    CHECK(nb_tensor_is_exclusive(t));
    nb_tensor_ref(t);
    CHECK(!nb_tensor_is_exclusive(t)); /* two holders */
    nb_tensor_unref(t);
    CHECK(nb_tensor_is_exclusive(t));
    nb_tensor_unref(t);
    CHECK(!nb_tensor_is_exclusive(NULL));
    float buf[3] = {1, 2, 3};
    int calls = 0;
    nb_tensor *w = nb_tensor_wrap(NB_FLOAT32, 1, dims, buf, sizeof buf, noop_deleter, &calls);
    CHECK(w && !nb_tensor_is_exclusive(w)); /* foreign memory */
    nb_tensor_unref(w);
    CHECK(calls == 1);
    /* fetched from a session: a computed value is the caller's alone, a constant's is shared */
    nb_graph *g = nb_graph_new();
    nb_output c = nb_constant_f32(g, 2.0f, NULL);
    nb_output y = nb_multiply(g, c, c, NULL);
    nb_session *s = nb_session_new(g);
    nb_output fetches[2] = {c, y};
    nb_tensor *out[2] = {NULL, NULL};
    CHECK(nb_session_run(s, NULL, 0, fetches, 2, out) == NB_OK);
    CHECK(out[0] && !nb_tensor_is_exclusive(out[0]));
    CHECK(out[1] && nb_tensor_is_exclusive(out[1]) && nb_tensor_scalar_f64(out[1]) == 4.0);
    nb_tensor_unref(out[0]);
    nb_tensor_unref(out[1]);
    nb_session_free(s);
    nb_graph_free(g);
}

/* nb_tensor_gather_rows against a naive loop: uint8 images into float32 with a
 * scale, the threaded path (>= 64 KiB of output), labels into int32, same-dtype
 * copies, and every refusal leaving dst untouched. */
TEST(gather_rows_matches_a_naive_loop) {
    int64_t n = 300, w = 7 * 9;
    nb_tensor *img = nb_tensor_zeros(NB_UINT8, 3, (int64_t[]){n, 7, 9});
    uint8_t *u = nb_tensor_data(img);
    for (int64_t i = 0; i < n * w; i++) u[i] = (uint8_t)((i * 37 + 11) % 256);
    int64_t rows[300];
    for (int i = 0; i < 300; i++) rows[i] = (i * 113 + 5) % n; /* a permutation: 113 and 300 are coprime */
    rows[7] = rows[8];                                     /* and a repeat */
    for (int threads = 1; threads <= 2; threads++) {
        nb_set_num_threads(threads);
        for (int64_t m = 0; m <= 300; m += 150) { /* empty, half, all (300 x 63 x 4 > 64 KiB) */
            nb_tensor *x = nb_tensor_fill(NB_FLOAT32, 2, (int64_t[]){m, w}, -1);
            nb_error err = {0};
            CHECK_STATUS(nb_tensor_gather_rows(x, img, rows, m, 1.0 / 255.0, &err), NB_OK);
            const float *f = nb_tensor_data(x);
            int bad = 0;
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < w; j++)
                    if (f[i * w + j] != (float)u[rows[i] * w + j] * (float)(1.0 / 255.0)) bad++;
            CHECK(bad == 0);
            nb_tensor_unref(x);
        }
    }
    nb_set_num_threads(1);
    /* float64 from uint8, computed in double */
    nb_tensor *xd = nb_tensor_zeros(NB_FLOAT64, 2, (int64_t[]){2, w});
    CHECK_STATUS(nb_tensor_gather_rows(xd, img, (int64_t[]){299, 0}, 2, 0.5, NULL), NB_OK);
    CHECK(((double *)nb_tensor_data(xd))[0] == 0.5 * u[299 * w]);
    CHECK(((double *)nb_tensor_data(xd))[w + 3] == 0.5 * u[3]);
    /* labels: uint8 into int32, and a same-dtype copy of int64 */
    nb_tensor *lab = nb_tensor_new(NB_UINT8, 1, (int64_t[]){4}, (uint8_t[]){9, 8, 250, 6});
    nb_tensor *y = nb_tensor_zeros(NB_INT32, 1, (int64_t[]){3});
    CHECK_STATUS(nb_tensor_gather_rows(y, lab, (int64_t[]){2, 0, 2}, 3, 1.0, NULL), NB_OK);
    const int32_t *yi = nb_tensor_data(y);
    CHECK(yi[0] == 250 && yi[1] == 9 && yi[2] == 250);
    nb_tensor *l64 = nb_tensor_new(NB_INT64, 2, (int64_t[]){2, 2}, (int64_t[]){1, -2, 3, -4});
    nb_tensor *o64 = nb_tensor_zeros(NB_INT64, 2, (int64_t[]){1, 2});
    CHECK_STATUS(nb_tensor_gather_rows(o64, l64, (int64_t[]){1}, 1, 1.0, NULL), NB_OK);
    CHECK(((int64_t *)nb_tensor_data(o64))[0] == 3 && ((int64_t *)nb_tensor_data(o64))[1] == -4);
    /* refusals: dst keeps its values */
    nb_tensor *x = nb_tensor_fill(NB_FLOAT32, 2, (int64_t[]){2, w}, -1);
    nb_error err = {0};
    CHECK_STATUS(nb_tensor_gather_rows(x, img, (int64_t[]){0, 300}, 2, 1.0, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "rows[1] is 300, outside src's 300 rows (0..299)") != NULL);
    CHECK_STATUS(nb_tensor_gather_rows(x, img, (int64_t[]){-1, 0}, 2, 1.0, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_tensor_gather_rows(x, img, (int64_t[]){0, 1, 2}, 3, 1.0, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "dst has 2 rows, but 3 rows are asked for") != NULL);
    nb_tensor *narrow = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){2, 62});
    CHECK_STATUS(nb_tensor_gather_rows(narrow, img, (int64_t[]){0, 1}, 2, 1.0, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "a row of src holds 63 elements but a row of dst 62") != NULL);
    CHECK_STATUS(nb_tensor_gather_rows(y, lab, (int64_t[]){0, 1, 2}, 3, 2.0, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "cannot gather uint8 rows into a int32 tensor with a scale other than 1") != NULL);
    nb_tensor *y32 = nb_tensor_zeros(NB_INT32, 2, (int64_t[]){1, 2});
    CHECK_STATUS(nb_tensor_gather_rows(y32, l64, (int64_t[]){0}, 1, 1.0, &err), NB_ERR_INVALID_ARGUMENT);
    nb_tensor *fsrc = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){1, 2});
    CHECK_STATUS(nb_tensor_gather_rows(y32, fsrc, (int64_t[]){0}, 1, 1.0, &err), NB_ERR_INVALID_ARGUMENT);
    nb_tensor *sc = nb_tensor_scalar(NB_FLOAT32, 1);
    CHECK_STATUS(nb_tensor_gather_rows(sc, img, (int64_t[]){0}, 1, 1.0, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "dst is a scalar") != NULL);
    CHECK_STATUS(nb_tensor_gather_rows(NULL, img, (int64_t[]){0}, 1, 1.0, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_tensor_gather_rows(x, img, NULL, 2, 1.0, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_tensor_gather_rows(x, img, rows, -1, 1.0, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_tensor_gather_rows(x, img, rows, 2, INFINITY, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "the scale inf is not a finite float32") != NULL);
    CHECK_STATUS(nb_tensor_gather_rows(x, img, rows, 2, 1e39, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_tensor_gather_rows(x, img, rows, 2, NAN, &err), NB_ERR_INVALID_ARGUMENT);
    nb_tensor *self = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){3, 4});
    CHECK_STATUS(nb_tensor_gather_rows(self, self, (int64_t[]){2, 1, 0}, 3, 1.0, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "dst and src share memory") != NULL);
    /* a row size past int64 in an empty tensor: an error, not an overflow */
    nb_tensor *huge = nb_tensor_zeros(NB_UINT8, 3, (int64_t[]){0, (int64_t)1 << 40, (int64_t)1 << 40});
    nb_tensor *hd = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){0, 4});
    CHECK(huge != NULL);
    CHECK_STATUS(nb_tensor_gather_rows(hd, huge, NULL, 0, 1.0, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "more elements than int64 holds") != NULL);
    nb_tensor_unref(self);
    nb_tensor_unref(huge);
    nb_tensor_unref(hd);
    const float *xf = nb_tensor_data(x);
    int changed = 0;
    for (int64_t i = 0; i < 2 * w; i++) changed += xf[i] != -1.0f;
    CHECK(changed == 0);
    nb_tensor *ts[] = {img, xd, lab, y, l64, o64, x, narrow, y32, fsrc, sc};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) nb_tensor_unref(ts[i]);
}

int main(int argc, char **argv) {
    int rc = run_tests(argc, argv);
    remove_tmp_dir();
    return rc;
}
