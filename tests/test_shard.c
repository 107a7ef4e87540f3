/*
 * test_shard.c — data shards: nb_shard_permutation, nb_shard_rows against the
 * rule computed here, and the row readers (nb_idx_read_rows, nb_csv_read_rows,
 * nb_image_dataset_open_rows): each returns exactly the rows asked for, the
 * ranks' shards together are the whole set, and other rows are not read
 * (IDX: the bytes read from disk are counted; CSV and images: the other rows
 * are corrupt, and reading the shard still succeeds).
 */
#include "harness.h"
#include "ops/ops_impl.h"
#include "io/shard.h"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char dir_[64];

static const char *tmpdir(void) {
    if (!dir_[0]) {
        snprintf(dir_, sizeof dir_, "/tmp/nb_shard_test_XXXXXX");
        if (!mkdtemp(dir_)) return NULL;
    }
    return dir_;
}

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(data, 1, n, f);
    fclose(f);
}

/*** The plan ***/

TEST(permutation_is_a_permutation_fixed_by_seed_and_epoch) {
    enum { N = 1000 };
    static int64_t a[N], b[N], c[N];
    CHECK_STATUS(nb_shard_permutation(N, 42, 3, a, NULL), NB_OK);
    CHECK_STATUS(nb_shard_permutation(N, 42, 3, b, NULL), NB_OK);
    CHECK_STATUS(nb_shard_permutation(N, 42, 4, c, NULL), NB_OK);
    static char seen[N];
    int same = 1, moved = 0, differ = 0;
    for (int i = 0; i < N; i++) {
        CHECK(a[i] >= 0 && a[i] < N && !seen[a[i]]);
        if (a[i] >= 0 && a[i] < N) seen[a[i]] = 1;
        same &= a[i] == b[i];
        moved += a[i] != i;
        differ += a[i] != c[i];
    }
    CHECK(same);
    CHECK(moved > N / 2 && differ > N / 2);
    nb_error err;
    CHECK_STATUS(nb_shard_permutation(-1, 0, 0, a, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "n is -1");
    CHECK_STATUS(nb_shard_permutation(3, 0, 0, NULL, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_shard_permutation(0, 0, 0, NULL, NULL), NB_OK);
    /* Every int64 epoch is allowed: the largest one (whose seed mixing once
     * overflowed epoch + 1) still gives a permutation, the same twice. */
    CHECK_STATUS(nb_shard_permutation(N, 42, INT64_MAX, a, NULL), NB_OK);
    CHECK_STATUS(nb_shard_permutation(N, 42, INT64_MAX, b, NULL), NB_OK);
    memset(seen, 0, sizeof seen);
    same = 1;
    for (int i = 0; i < N; i++) {
        CHECK(a[i] >= 0 && a[i] < N && !seen[a[i]]);
        if (a[i] >= 0 && a[i] < N) seen[a[i]] = 1;
        same &= a[i] == b[i];
    }
    CHECK(same);
}

/* The rule of nb_shard_rows, written out: batch b holds positions
 * b*B .. b*B+m-1 of the epoch's order; rank r takes m*r/size .. m*(r+1)/size. */
static int64_t naive_rows(int64_t n, int64_t B, int r, int size, const int64_t *perm, bool drop,
                          int64_t *out) {
    int64_t k = 0;
    for (int64_t start = 0; start < n; start += B) {
        int64_t m = n - start < B ? n - start : B;
        if (drop && m < B) break;
        for (int64_t p = start + m * r / size; p < start + m * (r + 1) / size; p++) out[k++] = perm[p];
    }
    return k;
}

TEST(shard_rows_follow_the_rule_and_cover_the_epoch) {
    enum { N = 23 };
    int64_t perm[N], want[N];
    for (int size = 1; size <= 4; size++)
        for (int64_t B = size; B <= 9; B += 2)
            for (int drop = 0; drop <= 1; drop++) {
                int count[N] = {0};
                int64_t total = 0;
                nb_shard_permutation(N, 7, 2, perm, NULL);
                for (int r = 0; r < size; r++) {
                    nb_error err;
                    nb_tensor *t = nb_shard_rows(N, B, r, size, 7, 2, drop, &err);
                    CHECK(t != NULL);
                    if (!t) continue;
                    int64_t k = naive_rows(N, B, r, size, perm, drop, want);
                    CHECK(nb_tensor_dtype(t) == NB_INT64 && nb_tensor_rank(t) == 1);
                    CHECK(nb_tensor_size(t) == k);
                    const int64_t *got = nb_tensor_data_const(t);
                    for (int64_t i = 0; i < k && i < nb_tensor_size(t); i++) {
                        CHECK(got[i] == want[i]);
                        if (got[i] >= 0 && got[i] < N) count[got[i]]++;
                    }
                    total += nb_tensor_size(t);
                    nb_tensor_unref(t);
                }
                /* every row of the epoch once, over all ranks */
                int64_t epoch_rows = drop ? N / B * B : N;
                CHECK(total == epoch_rows);
                int ones = 0;
                for (int i = 0; i < N; i++) ones += count[i] == 1;
                CHECK(ones == epoch_rows);
            }
}

TEST(shard_rows_bad_arguments) {
    nb_error err;
    CHECK(nb_shard_rows(10, 4, 2, 2, 0, 0, false, &err) == NULL);
    CHECK(err.code == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "nb_shard_rows: rank 2 is not one of the 2 ranks 0..1");
    CHECK(nb_shard_rows(10, 4, -1, 2, 0, 0, false, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "rank -1 is not one of the 2 ranks");
    CHECK(nb_shard_rows(10, 4, 0, 0, 0, 0, false, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "rank 0 is not one of the 0 ranks");
    CHECK(nb_shard_rows(10, 2, 0, 3, 0, 0, false, &err) == NULL);
    CHECK_STR_CONTAINS(err.message,
                       "a global batch of 2 rows leaves some of the 3 ranks without a row");
    CHECK(nb_shard_rows(-5, 4, 0, 1, 0, 0, false, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "need n >= 0 and global_batch >= 1, got n -5");
    nb_tensor *t = nb_shard_rows(0, 4, 1, 2, 0, 0, false, &err);
    CHECK(t && nb_tensor_size(t) == 0);
    nb_tensor_unref(t);
}

/*** IDX ***/

enum { NR = 50, C1 = 3, C2 = 2 };

/* uint8 [NR, C1, C2] with element (i, j, k) = (7 i + 3 j + k) mod 251, and
 * float32 [NR, 4] with (i, j) = i + j / 8 (type 0x0D, big-endian). */
static void idx_bytes(int flt, uint8_t *buf, size_t *len) {
    size_t n = 0;
    buf[n++] = 0, buf[n++] = 0, buf[n++] = flt ? 0x0D : 0x08, buf[n++] = flt ? 2 : 3;
    uint32_t dims[3] = {NR, flt ? 4 : C1, C2};
    for (int d = 0; d < (flt ? 2 : 3); d++)
        for (int b = 3; b >= 0; b--) buf[n++] = (uint8_t)(dims[d] >> (8 * b));
    for (int i = 0; i < NR; i++) {
        if (flt) {
            for (int j = 0; j < 4; j++) {
                float v = (float)i + (float)j / 8.0f;
                uint32_t u;
                memcpy(&u, &v, 4);
                for (int b = 3; b >= 0; b--) buf[n++] = (uint8_t)(u >> (8 * b));
            }
        } else {
            for (int j = 0; j < C1; j++)
                for (int k = 0; k < C2; k++) buf[n++] = (uint8_t)((7 * i + 3 * j + k) % 251);
        }
    }
    *len = n;
}

static void check_u8_rows(nb_tensor *t, const int64_t *rows, int64_t n) {
    CHECK(t && nb_tensor_dtype(t) == NB_UINT8 && nb_tensor_rank(t) == 3);
    if (!t) return;
    CHECK(nb_tensor_dim(t, 0) == n && nb_tensor_dim(t, 1) == C1 && nb_tensor_dim(t, 2) == C2);
    const uint8_t *p = nb_tensor_data_const(t);
    int bad = 0;
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < C1; j++)
            for (int k = 0; k < C2; k++)
                bad += p[(i * C1 + j) * C2 + k] != (uint8_t)((7 * rows[i] + 3 * j + k) % 251);
    CHECK(bad == 0);
}

TEST(idx_rows_read_only_the_header_and_the_rows) {
    const char *d = tmpdir();
    CHECK(d != NULL);
    static uint8_t buf[16 + NR * 16 * 4];
    size_t len;
    char plain[128], gz[128], flt[128];
    snprintf(plain, sizeof plain, "%s/u8.idx", d);
    snprintf(gz, sizeof gz, "%s/u8.idx.gz", d);
    snprintf(flt, sizeof flt, "%s/f32.idx", d);
    idx_bytes(0, buf, &len);
    write_file(plain, buf, len);
    gzFile g = gzopen(gz, "wb");
    gzwrite(g, buf, (unsigned)len);
    gzclose(g);
    idx_bytes(1, buf, &len);
    write_file(flt, buf, len);

    nb_error err;
    nb_dtype dt;
    int rank;
    int64_t dims[NB_MAX_RANK];
    CHECK_STATUS(nb_idx_header(gz, &dt, &rank, dims, &err), NB_OK);
    CHECK(dt == NB_UINT8 && rank == 3 && dims[0] == NR && dims[1] == C1 && dims[2] == C2);

    const int64_t rows[] = {17, 3, 49, 3, 0};
    uint64_t before = atomic_load(&nbi_shard_bytes_read);
    nb_tensor *t = nb_idx_read_rows(plain, rows, 5, &err);
    uint64_t read = atomic_load(&nbi_shard_bytes_read) - before;
    check_u8_rows(t, rows, 5);
    /* 2 bytes to tell gzip from plain, the 4 + 3*4 header bytes, and 4 distinct
     * rows of 6 bytes (the repeated row 3 is copied, not read again) */
    CHECK(read == 2 + 16 + 4 * C1 * C2);
    nb_tensor_unref(t);
    t = nb_idx_read_rows(gz, rows, 5, &err);
    check_u8_rows(t, rows, 5);
    nb_tensor_unref(t);

    /* float32 rows, converted from big-endian */
    t = nb_idx_read_rows(flt, rows, 3, &err);
    CHECK(t && nb_tensor_dtype(t) == NB_FLOAT32 && nb_tensor_dim(t, 0) == 3 && nb_tensor_dim(t, 1) == 4);
    if (t) {
        const float *f = nb_tensor_data_const(t);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) CHECK(f[i * 4 + j] == (float)rows[i] + (float)j / 8.0f);
    }
    nb_tensor_unref(t);

    /* three ranks' shards of an epoch: together every row once, each exact */
    int seen[NR] = {0};
    for (int r = 0; r < 3; r++) {
        nb_tensor *plan = nb_shard_rows(NR, 9, r, 3, 11, 1, false, &err);
        CHECK(plan != NULL);
        if (!plan) continue;
        const int64_t *pr = nb_tensor_data_const(plan);
        t = nb_idx_read_rows(gz, pr, nb_tensor_size(plan), &err);
        check_u8_rows(t, pr, nb_tensor_size(plan));
        for (int64_t i = 0; i < nb_tensor_size(plan); i++) seen[pr[i]]++;
        nb_tensor_unref(t);
        nb_tensor_unref(plan);
    }
    int ones = 0;
    for (int i = 0; i < NR; i++) ones += seen[i] == 1;
    CHECK(ones == NR);

    /* no rows: an empty [0, 3, 2] */
    t = nb_idx_read_rows(plain, NULL, 0, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 0 && nb_tensor_dim(t, 1) == C1);
    nb_tensor_unref(t);
}

TEST(idx_rows_bad_input) {
    const char *d = tmpdir();
    static uint8_t buf[16 + NR * 16 * 4];
    size_t len;
    char p[128], q[128];
    snprintf(p, sizeof p, "%s/u8b.idx", d);
    idx_bytes(0, buf, &len);
    write_file(p, buf, len);
    nb_error err;
    const int64_t out[] = {4, 50};
    CHECK(nb_idx_read_rows(p, out, 2, &err) == NULL);
    CHECK(err.code == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "u8b.idx: rows[1] is 50, outside the file's 50 rows (0..49)");
    const int64_t neg[] = {-1};
    CHECK(nb_idx_read_rows(p, neg, 1, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "rows[0] is -1, outside");
    /* truncated: the size does not match the header */
    snprintf(q, sizeof q, "%s/trunc.idx", d);
    write_file(q, buf, len - 5);
    const int64_t one[] = {0};
    CHECK(nb_idx_read_rows(q, one, 1, &err) == NULL);
    CHECK(err.code == NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, "trunc.idx: the file has 311 bytes but its header promises 316");
    /* a truncated gzip file fails when a row past its end is asked for */
    snprintf(q, sizeof q, "%s/trunc.idx.gz", d);
    gzFile g = gzopen(q, "wb");
    gzwrite(g, buf, (unsigned)(len - 60));
    gzclose(g);
    const int64_t last[] = {49};
    CHECK(nb_idx_read_rows(q, last, 1, &err) == NULL);
    CHECK(err.code == NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, "truncated at byte 310 while reading row 49 (6 more bytes expected)");
    /* a rank-0 file has no rows; a missing file */
    snprintf(q, sizeof q, "%s/scalar.idx", d);
    const uint8_t scalar[] = {0, 0, 8, 0, 42};
    write_file(q, scalar, sizeof scalar);
    CHECK(nb_idx_read_rows(q, one, 1, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "scalar.idx: a rank-0 IDX file has no rows");
    snprintf(q, sizeof q, "%s/none.idx", d);
    CHECK(nb_idx_read_rows(q, one, 1, &err) == NULL);
    CHECK(err.code == NB_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.message, "none.idx: cannot open");
    /* A gzip header that promises more than the file can hold (two float64
     * rows of 2^31-1 elements, 16 GiB each, in a few bytes) is refused before
     * anything is allocated for the row, as nb_idx_load refuses it. */
    snprintf(q, sizeof q, "%s/huge.idx.gz", d);
    const uint8_t huge[] = {0, 0, 0x0E, 2, 0, 0, 0, 2, 0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4};
    g = gzopen(q, "wb");
    gzwrite(g, huge, sizeof huge);
    gzclose(g);
    CHECK(nb_idx_read_rows(q, one, 1, &err) == NULL);
    CHECK(err.code == NB_ERR_IO);
    /* row 0 ends at 12 + 8 (2^31 - 1) bytes of the data */
    CHECK_STR_CONTAINS(err.message, "huge.idx.gz: row 0 ends at byte 17179869188 of the decompressed stream, more than");
    /* Dimensions whose bytes overflow (2^32-1 x 2^30 float64: 2^65 bytes) are
     * refused by the header reader too, with nb_idx_load's message. */
    snprintf(q, sizeof q, "%s/wrap.idx", d);
    const uint8_t wrap[] = {0, 0, 0x0E, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 1};
    write_file(q, wrap, sizeof wrap);
    nb_dtype wdt;
    int wrank;
    int64_t wdims[NB_MAX_RANK];
    CHECK_STATUS(nb_idx_header(q, &wdt, &wrank, wdims, &err), NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, "wrap.idx: byte 4: the dimensions overflow");
    CHECK(nb_idx_load(q, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "wrap.idx: byte 4: the dimensions overflow");
}

/*** CSV ***/

TEST(csv_rows_parse_only_the_rows_asked_for) {
    const char *d = tmpdir();
    char p[128];
    snprintf(p, sizeof p, "%s/data.csv", d);
    /* data rows 0..9: odd rows are corrupt (wrong field count, not numbers) */
    char text[1024];
    size_t n = (size_t)snprintf(text, sizeof text, "x,y\n");
    for (int i = 0; i < 10; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, i % 2 ? "oops,\"bad\",%d\n" : "%d,%d.5\n", i,
                              10 * i);
    write_file(p, text, n);
    nb_error err;
    int64_t rows_in_file = -1;
    CHECK_STATUS(nb_csv_num_rows(p, true, &rows_in_file, &err), NB_OK);
    CHECK(rows_in_file == 10);
    CHECK(nb_csv_read(p, true, NULL, 0, NB_FLOAT32, &err) == NULL); /* the whole file fails */
    CHECK_STR_CONTAINS(err.message, "data.csv:3: the row has 3 fields, expected 2 as on line 1");
    const int64_t rows[] = {8, 0, 4, 8};
    const char *cols[] = {"y", "x"};
    nb_tensor *t = nb_csv_read_rows(p, true, cols, 2, NB_FLOAT64, rows, 4, &err);
    CHECK(t != NULL);
    if (t) {
        CHECK(nb_tensor_dim(t, 0) == 4 && nb_tensor_dim(t, 1) == 2);
        const double *v = nb_tensor_data_const(t);
        for (int i = 0; i < 4; i++) CHECK(v[2 * i] == 10.0 * (double)rows[i] + 0.5 && v[2 * i + 1] == (double)rows[i]);
    }
    nb_tensor_unref(t);
    /* a corrupt row asked for fails naming its line; rows past the end */
    const int64_t bad[] = {2, 3};
    CHECK(nb_csv_read_rows(p, true, NULL, 0, NB_FLOAT32, bad, 2, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "data.csv:5: the row has 3 fields, expected 2 as on line 1");
    const int64_t past[] = {0, 10};
    CHECK(nb_csv_read_rows(p, true, NULL, 0, NB_FLOAT32, past, 2, &err) == NULL);
    CHECK(err.code == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "data.csv: row 10 was asked for, but the file has 10 data rows (0..9)");
    const int64_t neg[] = {-3};
    CHECK(nb_csv_read_rows(p, true, NULL, 0, NB_FLOAT32, neg, 1, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "data.csv: rows[0] is -3, below 0");
    /* without a header the first line is data row 0 */
    CHECK_STATUS(nb_csv_num_rows(p, false, &rows_in_file, &err), NB_OK);
    CHECK(rows_in_file == 11);
}

/*** Image folders ***/

static void write_pgm(const char *path, int v) {
    char b[64];
    int n = snprintf(b, sizeof b, "P5\n2 2\n255\n");
    for (int i = 0; i < 4; i++) b[n++] = (char)(v + i);
    write_file(path, b, (size_t)n);
}

TEST(image_folder_rows_decode_only_the_rows_asked_for) {
    const char *d = tmpdir();
    char root[128], p[192];
    snprintf(root, sizeof root, "%s/imgs", d);
    mkdir(root, 0755);
    /* listing: cat/a.pgm(0) cat/b.pgm(1) cat/c.pgm(2, corrupt) dog/d.pgm(3) dog/e.pgm(4) */
    const char *cls[] = {"cat", "dog"};
    for (int c = 0; c < 2; c++) {
        snprintf(p, sizeof p, "%s/%s", root, cls[c]);
        mkdir(p, 0755);
    }
    const char *files[] = {"cat/a.pgm", "cat/b.pgm", "cat/c.pgm", "dog/d.pgm", "dog/e.pgm"};
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", root, files[i]);
        if (i == 2)
            write_file(p, "not an image", 12);
        else
            write_pgm(p, 40 * i);
    }
    nb_error err;
    nb_tensor *lab = nb_image_folder_labels(root, &err);
    CHECK(lab && nb_tensor_dtype(lab) == NB_INT32 && nb_tensor_size(lab) == 5);
    if (lab) {
        const int32_t *l = nb_tensor_data_const(lab);
        CHECK(l[0] == 0 && l[1] == 0 && l[2] == 0 && l[3] == 1 && l[4] == 1);
    }
    nb_tensor_unref(lab);
    const int64_t rows[] = {4, 0, 3, 4};
    nb_image_dataset *ds = nb_image_dataset_open_rows(root, 2, 2, 1, NB_IMAGES_STRICT, rows, 4, &err);
    CHECK(ds != NULL);
    if (ds) {
        CHECK(nb_image_dataset_size(ds) == 4 && nb_image_dataset_num_skipped(ds) == 0);
        nb_tensor *im = nb_image_dataset_images(ds);
        const float *px = nb_tensor_data_const(im);
        for (int i = 0; i < 4; i++) {
            CHECK(nb_image_dataset_label(ds, i) == (rows[i] >= 3 ? 1 : 0));
            CHECK_STR_CONTAINS(nb_image_dataset_path(ds, i), files[rows[i]]);
            for (int k = 0; k < 4; k++) CHECK_NEAR(px[i * 4 + k], (float)(40 * rows[i] + k) / 255.0f, 1e-6);
        }
        nb_tensor_unref(im);
    }
    nb_image_dataset_free(ds);
    /* the corrupt file asked for: strict fails naming it, otherwise skipped */
    const int64_t bad[] = {1, 2};
    CHECK(nb_image_dataset_open_rows(root, 2, 2, 1, NB_IMAGES_STRICT, bad, 2, &err) == NULL);
    CHECK(err.code == NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, "cat/c.pgm");
    ds = nb_image_dataset_open_rows(root, 2, 2, 1, 0, bad, 2, &err);
    CHECK(ds && nb_image_dataset_size(ds) == 1 && nb_image_dataset_num_skipped(ds) == 1);
    nb_image_dataset_free(ds);
    const int64_t past[] = {5};
    CHECK(nb_image_dataset_open_rows(root, 2, 2, 1, 0, past, 1, &err) == NULL);
    CHECK(err.code == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "nb_image_dataset_open_rows: rows[0] is 5, outside the 5 image files of");
    ds = nb_image_dataset_open_rows(root, 2, 2, 1, 0, NULL, 0, &err);
    CHECK(ds && nb_image_dataset_size(ds) == 0);
    nb_image_dataset_free(ds);
}

int main(int argc, char **argv) {
    int rc = run_tests(argc, argv);
    if (dir_[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir_);
        if (system(cmd) != 0) rc = rc ? rc : 1;
    }
    return rc;
}
