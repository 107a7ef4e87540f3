/*
 * test_csv.c — nb_csv_read: the shipped data files, column selection, dtypes,
 * RFC 4180 quoting, line endings, BOM, every error with its line and column,
 * allocation failures, and random inputs (no crash, no leak under ASan).
 */
#include "harness.h"
#include "ops/ops_impl.h"

#include <stdint.h>
#include <unistd.h>

/*** Helpers ******************************************************************/

/* Writes n bytes to a new file under /tmp; returns its path (static buffer
 * per slot) or NULL. Remove it with unlink. */
static char tmp_paths[4][64];
static const char *write_tmp_n(int slot, const char *data, size_t n) {
    char *p = tmp_paths[slot];
    snprintf(p, sizeof tmp_paths[slot], "/tmp/nb_csv_test_XXXXXX");
    int fd = mkstemp(p);
    if (fd < 0) return NULL;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, data + done, n - done);
        if (w <= 0) break;
        done += (size_t)w;
    }
    close(fd);
    return done == n ? p : NULL;
}
static const char *write_tmp(const char *data) { return write_tmp_n(0, data, strlen(data)); }

/* Reads text as a CSV file (written to a temporary file). */
static nb_tensor *read_text(const char *text, bool header, const char *const *cols, int n,
                            nb_dtype dt, nb_error *err) {
    const char *p = write_tmp(text);
    if (!p) return NULL;
    nb_tensor *t = nb_csv_read(p, header, cols, n, dt, err);
    unlink(p);
    return t;
}

/* Expects text to fail with code and a message containing needle (and needle2
 * unless NULL). The message always names the temporary file. */
static void expect_error(const char *text, bool header, const char *const *cols, int n,
                         nb_dtype dt, nb_status code, const char *needle, const char *needle2) {
    nb_error err;
    nb_tensor *t = read_text(text, header, cols, n, dt, &err);
    CHECK(t == NULL);
    nb_tensor_unref(t);
    CHECK_STATUS(err.code, code);
    CHECK_STR_CONTAINS(err.message, "/tmp/nb_csv_test_");
    CHECK_STR_CONTAINS(err.message, needle);
    if (needle2) CHECK_STR_CONTAINS(err.message, needle2);
}

static double at(const nb_tensor *t, int64_t r, int64_t c) {
    return nbi_load(nb_tensor_data_const(t), nb_tensor_dtype(t), r * nb_tensor_dim(t, 1) + c);
}

static void data_path(char *buf, size_t n, const char *name) {
    const char *root = getenv("NB_SOURCE_DIR");
    snprintf(buf, n, "%s/examples/data/%s", root ? root : "..", name);
}

/*** The shipped data files ***************************************************/

TEST(blood_fat_file) {
    char path[1024];
    data_path(path, sizeof path, "blood_fat.csv");
    nb_error err;
    nb_tensor *t = nb_csv_read(path, true, NULL, 0, NB_FLOAT32, &err);
    CHECK(t != NULL);
    if (!t) {
        fprintf(stderr, "  %s\n", err.message);
        return;
    }
    CHECK(nb_tensor_dtype(t) == NB_FLOAT32);
    CHECK(nb_tensor_rank(t) == 2);
    CHECK(nb_tensor_dim(t, 0) == 25 && nb_tensor_dim(t, 1) == 3);
    CHECK(at(t, 0, 0) == 84 && at(t, 0, 1) == 46 && at(t, 0, 2) == 354);
    CHECK(at(t, 5, 0) == 69 && at(t, 5, 1) == 25 && at(t, 5, 2) == 302);
    CHECK(at(t, 10, 0) == 27 && at(t, 10, 1) == 24 && at(t, 10, 2) == 209);
    CHECK(at(t, 24, 0) == 63 && at(t, 24, 1) == 30 && at(t, 24, 2) == 244);
    /* Sums by hand, ten rows at a time: 726+662+329, 395+407+176, 3405+3050+1313. */
    double sum[3] = {0, 0, 0};
    for (int r = 0; r < 25; r++)
        for (int c = 0; c < 3; c++) sum[c] += at(t, r, c);
    CHECK(sum[0] == 1717 && sum[1] == 978 && sum[2] == 7768);
    nb_tensor_unref(t);

    /* By name, reordered, as float64. */
    const char *cols[] = {"Blood fat", "Weight (kg)"};
    t = nb_csv_read(path, true, cols, 2, NB_FLOAT64, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 25 && nb_tensor_dim(t, 1) == 2);
    if (t) CHECK(at(t, 0, 0) == 354 && at(t, 0, 1) == 84 && at(t, 24, 0) == 244);
    nb_tensor_unref(t);

    /* By index ("2" names no column, so it is the index), as int32. */
    const char *idx[] = {"1", "2"};
    t = nb_csv_read(path, true, idx, 2, NB_INT32, &err);
    CHECK(t && nb_tensor_dim(t, 1) == 2);
    if (t) CHECK(at(t, 2, 0) == 52 && at(t, 2, 1) == 405);
    nb_tensor_unref(t);
}

TEST(iris_file) {
    char path[1024];
    data_path(path, sizeof path, "iris.csv");
    nb_error err;
    nb_tensor *t = nb_csv_read(path, true, NULL, 0, NB_FLOAT64, &err);
    CHECK(t != NULL);
    if (!t) {
        fprintf(stderr, "  %s\n", err.message);
        return;
    }
    CHECK(nb_tensor_dim(t, 0) == 150 && nb_tensor_dim(t, 1) == 5);
    CHECK(at(t, 0, 0) == 5.1 && at(t, 0, 1) == 3.5 && at(t, 0, 2) == 1.4 && at(t, 0, 3) == 0.2);
    CHECK(at(t, 149, 0) == 5.9 && at(t, 149, 4) == 2);
    double s = 0;
    for (int r = 0; r < 150; r++) s += at(t, r, 0);
    CHECK_NEAR(s, 876.5, 1e-12);
    nb_tensor_unref(t);

    const char *cols[] = {"species"};
    t = nb_csv_read(path, true, cols, 1, NB_INT32, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 150 && nb_tensor_dim(t, 1) == 1);
    if (t) {
        const int32_t *y = nb_tensor_data_const(t);
        int count[3] = {0, 0, 0}, other = 0;
        for (int r = 0; r < 150; r++) {
            if (y[r] >= 0 && y[r] <= 2)
                count[y[r]]++;
            else
                other++;
        }
        CHECK(count[0] == 50 && count[1] == 50 && count[2] == 50 && other == 0);
        CHECK(y[0] == 0 && y[50] == 1 && y[100] == 2);
    }
    nb_tensor_unref(t);
}

/*** Selection ****************************************************************/

TEST(select_by_name_and_index) {
    nb_error err;
    const char *text = "x,y,2\n1,2,3\n4,5,6\n";
    /* "2" is a column's name here, so it selects that column (index 2 as well). */
    const char *a[] = {"2", "x", "1"};
    nb_tensor *t = read_text(text, true, a, 3, NB_INT64, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 2 && nb_tensor_dim(t, 1) == 3);
    if (t) {
        const int64_t *v = nb_tensor_data_const(t);
        CHECK(v[0] == 3 && v[1] == 1 && v[2] == 2 && v[3] == 6 && v[4] == 4 && v[5] == 5);
    }
    nb_tensor_unref(t);

    /* A column twice. */
    const char *b[] = {"y", "y"};
    t = read_text(text, true, b, 2, NB_FLOAT32, &err);
    CHECK(t && at(t, 1, 0) == 5 && at(t, 1, 1) == 5);
    nb_tensor_unref(t);

    /* No header: indices only; the first line is data. */
    const char *c[] = {"1"};
    t = read_text("10,20\n30,40\n", false, c, 1, NB_FLOAT64, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 2 && nb_tensor_dim(t, 1) == 1);
    if (t) CHECK(at(t, 0, 0) == 20 && at(t, 1, 0) == 40);
    nb_tensor_unref(t);

    /* n_cols 0 takes every column even when columns is set. */
    t = read_text("10,20\n", false, c, 0, NB_FLOAT64, &err);
    CHECK(t && nb_tensor_dim(t, 1) == 2);
    nb_tensor_unref(t);

    /* Names match exactly: no trimming, case matters. */
    const char *d[] = {"X"};
    expect_error(text, true, d, 1, NB_FLOAT32, NB_ERR_NOT_FOUND, ":1: no column named 'X'",
                 "'x', 'y', '2'");
}

TEST(select_errors) {
    const char *text = "Weight (kg),Age (Years),Blood fat\n1,2,3\n";
    const char *a[] = {"Height"};
    expect_error(text, true, a, 1, NB_FLOAT32, NB_ERR_NOT_FOUND, "no column named 'Height'",
                 "'Weight (kg)', 'Age (Years)', 'Blood fat'");
    const char *b[] = {"3"};
    expect_error(text, true, b, 1, NB_FLOAT32, NB_ERR_NOT_FOUND, "column index 3 is out of range",
                 "3 columns");
    const char *c[] = {"-1"};
    expect_error(text, true, c, 1, NB_FLOAT32, NB_ERR_NOT_FOUND, "no column named '-1'", NULL);
    const char *d[] = {"a"};
    expect_error("1,2\n", false, d, 1, NB_FLOAT32, NB_ERR_NOT_FOUND, "no column named 'a'",
                 "0-based index");
    const char *e[] = {"99999999999999999999999"};
    expect_error("1,2\n", false, e, 1, NB_FLOAT32, NB_ERR_NOT_FOUND, "no column named", NULL);
    const char *f[] = {"b"};
    expect_error("a,b,b\n1,2,3\n", true, f, 1, NB_FLOAT32, NB_ERR_IO, "'b' is ambiguous",
                 "columns 2 and 3");
    /* A header with many long names still gives a bounded message. */
    char big[4096] = "";
    for (int i = 0; i < 60; i++) {
        char name[64];
        snprintf(name, sizeof name, "%sa_rather_long_column_name_number_%d", i ? "," : "", i);
        strcat(big, name);
    }
    strcat(big, "\n");
    expect_error(big, true, a, 1, NB_FLOAT32, NB_ERR_NOT_FOUND, "no column named 'Height'",
                 "...");
}

/*** Dtypes and number syntax ************************************************/

TEST(each_dtype) {
    const char *text = "a,b\n1, 2 \n-3,255\n";
    nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64};
    for (int i = 0; i < 4; i++) {
        nb_error err;
        nb_tensor *t = read_text(text, true, NULL, 0, dts[i], &err);
        CHECK(t && nb_tensor_dtype(t) == dts[i]);
        if (t)
            CHECK(at(t, 0, 0) == 1 && at(t, 0, 1) == 2 && at(t, 1, 0) == -3 &&
                  at(t, 1, 1) == 255);
        nb_tensor_unref(t);
    }
    nb_error err;
    nb_tensor *t = read_text("0,255\n7,128\n", false, NULL, 0, NB_UINT8, &err);
    CHECK(t && nb_tensor_dtype(t) == NB_UINT8);
    if (t) {
        const uint8_t *v = nb_tensor_data_const(t);
        CHECK(v[0] == 0 && v[1] == 255 && v[2] == 7 && v[3] == 128);
    }
    nb_tensor_unref(t);

    t = read_text("9223372036854775807,-9223372036854775808\n", false, NULL, 0, NB_INT64, &err);
    CHECK(t != NULL);
    if (t) {
        const int64_t *v = nb_tensor_data_const(t);
        CHECK(v[0] == INT64_MAX && v[1] == INT64_MIN);
    }
    nb_tensor_unref(t);

    t = read_text("2147483647,-2147483648\n", false, NULL, 0, NB_INT32, &err);
    CHECK(t != NULL);
    if (t) {
        const int32_t *v = nb_tensor_data_const(t);
        CHECK(v[0] == INT32_MAX && v[1] == INT32_MIN);
    }
    nb_tensor_unref(t);

    /* Integral float texts are integers; +sign and spaces are fine. */
    t = read_text("3.0,1e3,+4, -0 \n", false, NULL, 0, NB_INT32, &err);
    CHECK(t != NULL);
    if (t) {
        const int32_t *v = nb_tensor_data_const(t);
        CHECK(v[0] == 3 && v[1] == 1000 && v[2] == 4 && v[3] == 0);
    }
    nb_tensor_unref(t);

    /* Float syntax: exponents, leading dot, inf and nan, tiny values. */
    t = read_text(".5,-2.5e-3,inf,nan,1e-320\n", false, NULL, 0, NB_FLOAT64, &err);
    CHECK(t != NULL);
    if (t) {
        CHECK(at(t, 0, 0) == 0.5 && at(t, 0, 1) == -2.5e-3);
        CHECK(isinf(at(t, 0, 2)) && isnan(at(t, 0, 3)));
        CHECK(at(t, 0, 4) > 0 && at(t, 0, 4) < 1e-300);
    }
    nb_tensor_unref(t);
    t = read_text("0.1\n", false, NULL, 0, NB_FLOAT32, &err);
    CHECK(t && ((const float *)nb_tensor_data_const(t))[0] == 0.1f);
    nb_tensor_unref(t);
}

TEST(bad_arguments) {
    nb_error err;
    CHECK(nb_csv_read(NULL, true, NULL, 0, NB_FLOAT32, &err) == NULL);
    CHECK_STATUS(err.code, NB_ERR_INVALID_ARGUMENT);
    CHECK(read_text("1\n", false, NULL, 0, NB_BOOL, &err) == NULL);
    CHECK_STATUS(err.code, NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "bool");
    CHECK(read_text("1\n", false, NULL, 0, NB_DTYPE_INVALID, &err) == NULL);
    CHECK_STATUS(err.code, NB_ERR_INVALID_ARGUMENT);
    CHECK(read_text("1\n", false, NULL, 2, NB_FLOAT32, &err) == NULL);
    CHECK_STATUS(err.code, NB_ERR_INVALID_ARGUMENT);
    const char *cols[] = {"0"};
    CHECK(read_text("1\n", false, cols, -1, NB_FLOAT32, &err) == NULL);
    CHECK_STATUS(err.code, NB_ERR_INVALID_ARGUMENT);
    const char *nul[] = {"0", NULL};
    CHECK(read_text("1\n", false, nul, 2, NB_FLOAT32, &err) == NULL);
    CHECK_STATUS(err.code, NB_ERR_INVALID_ARGUMENT);
    /* err may be NULL. */
    CHECK(read_text("x\n", false, NULL, 0, NB_FLOAT32, NULL) == NULL);
    CHECK(nb_csv_read("/nonexistent/nb.csv", true, NULL, 0, NB_FLOAT32, NULL) == NULL);
}

/*** Format: quoting, line endings, BOM, blank lines **************************/

TEST(quoting) {
    nb_error err;
    /* Quoted numbers, spaces inside quotes, spaces around quotes. */
    nb_tensor *t = read_text("\"a\",\"b\"\n\"1\", \" 2 \" \n\"3\",4\n", true, NULL, 0, NB_FLOAT64,
                             &err);
    CHECK(t && nb_tensor_dim(t, 0) == 2 && nb_tensor_dim(t, 1) == 2);
    if (t) CHECK(at(t, 0, 0) == 1 && at(t, 0, 1) == 2 && at(t, 1, 0) == 3 && at(t, 1, 1) == 4);
    nb_tensor_unref(t);

    /* Names with commas and doubled quotes; a quoted newline in a column not read. */
    const char *cols[] = {"a,b", "c\"d"};
    t = read_text("\"a,b\",\"c\"\"d\",note\n1,2,\"line\none\"\n3,4,\"\"\"q\"\"\"\n", true, cols, 2,
                  NB_INT32, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 2 && nb_tensor_dim(t, 1) == 2);
    if (t) CHECK(at(t, 0, 0) == 1 && at(t, 0, 1) == 2 && at(t, 1, 0) == 3 && at(t, 1, 1) == 4);
    if (!t) fprintf(stderr, "  %s\n", err.message);
    nb_tensor_unref(t);

    /* "1,""2""" is the text 1,"2": not a number; the message shows the text. */
    expect_error("a\n\"1,\"\"2\"\"\"\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO,
                 ":2: column 1 ('a'): '1,\"2\"' is not a number", NULL);
    /* "" is an empty cell. */
    expect_error("a,b\n1,\"\"\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO,
                 ":2: column 2 ('b'): empty cell", NULL);
    /* Line numbers count the lines inside quoted fields. */
    expect_error("a,b\n1,\"x\ny\r\nz\"\n2,w\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO,
                 ":2: column 2 ('b'): 'x?y??z' is not a number", NULL);
    const char *a[] = {"a"};
    expect_error("a,b\n1,\"x\ny\r\nz\"\nq,w\n", true, a, 1, NB_FLOAT32, NB_ERR_IO,
                 ":5: column 1 ('a'): 'q' is not a number", NULL);
    /* Malformed quoting. */
    expect_error("a,b\n1,2\"x\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO, ":2: bad quoting", NULL);
    expect_error("a,b\n1,\"2\"x\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO, ":2: bad quoting", NULL);
    expect_error("a,b\n1,2\n3,\"4\n5,6\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO,
                 ":3: a quoted field is never closed", NULL);
}

TEST(line_endings_bom_blank_lines) {
    nb_error err;
    nb_tensor *t = read_text("a,b\r\n1,2\r\n3,4\r\n", true, NULL, 0, NB_FLOAT32, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 2 && at(t, 1, 1) == 4);
    nb_tensor_unref(t);
    /* Old Mac CR-only and mixed endings. */
    t = read_text("a,b\r1,2\n3,4\r\n5,6\r", true, NULL, 0, NB_FLOAT32, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 3 && at(t, 2, 1) == 6);
    nb_tensor_unref(t);
    /* No trailing newline. */
    t = read_text("a,b\n1,2\n3,4", true, NULL, 0, NB_FLOAT32, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 2 && at(t, 1, 1) == 4);
    nb_tensor_unref(t);
    t = read_text("7", false, NULL, 0, NB_INT32, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 1 && nb_tensor_dim(t, 1) == 1 && at(t, 0, 0) == 7);
    nb_tensor_unref(t);
    /* BOM; the first name matches without it. */
    const char *cols[] = {"a"};
    t = read_text("\xEF\xBB\xBF" "a,b\n1,2\n", true, cols, 1, NB_FLOAT32, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 1 && at(t, 0, 0) == 1);
    nb_tensor_unref(t);
    t = read_text("\xEF\xBB\xBF" "5,6\n", false, NULL, 0, NB_FLOAT32, &err);
    CHECK(t && at(t, 0, 0) == 5);
    nb_tensor_unref(t);
    /* Trailing blank lines (also spaces only, CRLF) are ignored. */
    t = read_text("a,b\n1,2\n\n \t\n\r\n\r\n", true, NULL, 0, NB_FLOAT32, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 1);
    nb_tensor_unref(t);
    /* Blank lines elsewhere are errors naming the blank line. */
    expect_error("a\n1\n\n2\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO, ":3: blank line", NULL);
    expect_error("a\r\n1\r\n\r\n2\r\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO, ":3: blank line",
                 NULL);
    expect_error("\na\n1\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO, ":1: blank line", NULL);
    /* Line numbers with CRLF. */
    expect_error("a,b\r\n1,2\r\n3,x\r\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO,
                 ":3: column 2 ('b'): 'x' is not a number", NULL);
    expect_error("a,b\r1,2\r3,x\r", true, NULL, 0, NB_FLOAT32, NB_ERR_IO, ":3: column 2 ('b')",
                 NULL);
}

TEST(empty_and_header_only) {
    nb_error err;
    expect_error("", true, NULL, 0, NB_FLOAT32, NB_ERR_IO, "empty", "header");
    expect_error("", false, NULL, 0, NB_FLOAT32, NB_ERR_IO, "empty", NULL);
    expect_error("\xEF\xBB\xBF", true, NULL, 0, NB_FLOAT32, NB_ERR_IO, "empty", NULL);
    expect_error("\n\r\n  \n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO, "empty", NULL);

    nb_tensor *t = read_text("a,b,c\n", true, NULL, 0, NB_FLOAT32, &err);
    CHECK(t && nb_tensor_rank(t) == 2 && nb_tensor_dim(t, 0) == 0 && nb_tensor_dim(t, 1) == 3);
    CHECK(t && nb_tensor_size(t) == 0);
    nb_tensor_unref(t);
    const char *cols[] = {"c"};
    t = read_text("a,b,c", true, cols, 1, NB_INT64, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 0 && nb_tensor_dim(t, 1) == 1);
    nb_tensor_unref(t);
}

TEST(missing_file) {
    nb_error err;
    nb_tensor *t = nb_csv_read("/tmp/nb_csv_no_such_dir/none.csv", true, NULL, 0, NB_FLOAT32, &err);
    CHECK(t == NULL);
    CHECK_STATUS(err.code, NB_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.message, "/tmp/nb_csv_no_such_dir/none.csv");
    /* A directory is an I/O error, not a crash. */
    t = nb_csv_read("/tmp", true, NULL, 0, NB_FLOAT32, &err);
    CHECK(t == NULL);
    CHECK_STATUS(err.code, NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, "/tmp");
}

/*** Cell errors **************************************************************/

TEST(cell_errors) {
    /* The brief's example: line 7 counts the header. */
    const char *bf = "Weight (kg),Age (Years),Blood fat\n84,46,354\n73,20,190\n65,52,405\n"
                     "70,30,263\n76,57,451\n69,abc,302\n";
    expect_error(bf, true, NULL, 0, NB_FLOAT32, NB_ERR_IO,
                 ":7: column 2 ('Age (Years)'): 'abc' is not a number", NULL);
    /* Without a header: no name. */
    expect_error("1,2\n3,4x\n", false, NULL, 0, NB_FLOAT64, NB_ERR_IO,
                 ":2: column 2: '4x' is not a number", NULL);
    expect_error("a,b\n1,\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO,
                 ":2: column 2 ('b'): empty cell", NULL);
    expect_error("a,b\n1,   \n", true, NULL, 0, NB_INT32, NB_ERR_IO,
                 ":2: column 2 ('b'): empty cell", NULL);
    expect_error("a\n1 2\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO, "'1 2' is not a number", NULL);
    expect_error("a\n0x\n", true, NULL, 0, NB_INT32, NB_ERR_IO, "'0x' is not a number", NULL);
    expect_error("a\n1,5\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO, ":2: the row has 2 fields",
                 "expected 1 as on line 1");
    /* Field counts. */
    expect_error("a,b\n1,2\n3\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO,
                 ":3: the row has 1 field, expected 2", NULL);
    expect_error("a,b\n1,2\n3,4,5\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO,
                 ":3: the row has 3 fields", NULL);
    expect_error("1,2\n3,4,\n", false, NULL, 0, NB_FLOAT32, NB_ERR_IO, ":2: the row has 3 fields",
                 NULL);
    /* Integer ranges and fractions. */
    expect_error("a\n2.5\n", true, NULL, 0, NB_INT32, NB_ERR_IO,
                 ":2: column 1 ('a'): '2.5' is not an integer", NULL);
    expect_error("a\nnan\n", true, NULL, 0, NB_INT64, NB_ERR_IO, "'nan' is not an integer", NULL);
    expect_error("a\n1\n3000000000\n", true, NULL, 0, NB_INT32, NB_ERR_IO,
                 ":3: column 1 ('a'): '3000000000' is out of range for int32", NULL);
    expect_error("a\n-2147483649\n", true, NULL, 0, NB_INT32, NB_ERR_IO, "out of range for int32",
                 NULL);
    expect_error("a\n256\n", true, NULL, 0, NB_UINT8, NB_ERR_IO, "'256' is out of range for uint8",
                 NULL);
    expect_error("a\n-1\n", true, NULL, 0, NB_UINT8, NB_ERR_IO, "'-1' is out of range for uint8",
                 NULL);
    expect_error("a\n9223372036854775808\n", true, NULL, 0, NB_INT64, NB_ERR_IO,
                 "out of range for int64", NULL);
    expect_error("a\n-9223372036854775809\n", true, NULL, 0, NB_INT64, NB_ERR_IO,
                 "out of range for int64", NULL);
    expect_error("a\n1e19\n", true, NULL, 0, NB_INT64, NB_ERR_IO,
                 "'1e19' is out of range for int64", NULL);
    expect_error("a\ninf\n", true, NULL, 0, NB_INT32, NB_ERR_IO, "'inf' is out of range", NULL);
    /* Float ranges. */
    expect_error("a\n1e39\n", true, NULL, 0, NB_FLOAT32, NB_ERR_IO,
                 "'1e39' is out of range for float32", NULL);
    expect_error("a\n1e999\n", true, NULL, 0, NB_FLOAT64, NB_ERR_IO,
                 "'1e999' is out of range for float64", NULL);
    /* A NUL inside a cell is not the end of the number. */
    {
        static const char text[] = "a\n1\0x\n";
        nb_error err;
        const char *p = write_tmp_n(0, text, sizeof text - 1);
        CHECK(p != NULL);
        nb_tensor *t = p ? nb_csv_read(p, true, NULL, 0, NB_FLOAT32, &err) : NULL;
        if (p) unlink(p);
        CHECK(t == NULL);
        CHECK_STR_CONTAINS(err.message, ":2: column 1 ('a'): '1?x' is not a number");
        nb_tensor_unref(t);
    }
    /* Long and binary cells are shortened and made printable in messages. */
    char text[400] = "a\n";
    for (int i = 0; i < 200; i++) strcat(text, i % 50 == 7 ? "\x01" : "z");
    strcat(text, "\n");
    expect_error(text, true, NULL, 0, NB_FLOAT32, NB_ERR_IO, "'zzzzzzz?zzz",
                 "...' is not a number");
}

/*** Large inputs, allocation failures, random inputs ***********************/

/* Rows that cross the reader's chunk boundaries, a BOM, CRLF, and a quoted field
 * bigger than a chunk in a column that is not read. */
TEST(large_file) {
    size_t cap = 4u << 20, n = 0;
    char *text = malloc(cap);
    CHECK(text != NULL);
    if (!text) return;
    n += (size_t)snprintf(text + n, cap - n, "\xEF\xBB\xBFi,note,v\r\n");
    n += (size_t)snprintf(text + n, cap - n, "0,\"");
    for (int i = 0; i < 40000; i++) text[n++] = (i % 100 == 99) ? '\n' : (i % 7 == 0 ? ',' : 'q');
    n += (size_t)snprintf(text + n, cap - n, "\",0\r\n");
    const int rows = 100000;
    for (int r = 1; r < rows; r++)
        n += (size_t)snprintf(text + n, cap - n, "%d,\"t\",%d.5\r\n", r, r % 1000);
    const char *p = write_tmp_n(1, text, n);
    free(text);
    CHECK(p != NULL);
    if (!p) return;
    const char *cols[] = {"v", "i"};
    nb_error err;
    nb_tensor *t = nb_csv_read(p, true, cols, 2, NB_FLOAT64, &err);
    unlink(p);
    CHECK(t && nb_tensor_dim(t, 0) == rows && nb_tensor_dim(t, 1) == 2);
    if (!t) {
        fprintf(stderr, "  %s\n", err.message);
        return;
    }
    double si = 0, sv = 0;
    for (int r = 0; r < rows; r++) {
        sv += at(t, r, 0);
        si += at(t, r, 1);
    }
    CHECK(si == (double)rows * (rows - 1) / 2);
    /* sum over r>=1 of (r % 1000 + 0.5) */
    double expect = 0;
    for (int r = 1; r < rows; r++) expect += r % 1000 + 0.5;
    CHECK(sv == expect);
    nb_tensor_unref(t);
}

/* The row-size limit: a row over it fails naming the file and the row's first
 * line, whether the row is one long field (longer than a read chunk, so it is
 * caught while libcsv still holds it) or many short fields; rows under it read. */
TEST(row_size_limit) {
    size_t prev = nb_csv_set_max_row_bytes(4096);
    CHECK(prev == (size_t)64 << 20); /* the documented default */
    size_t big = 200000;
    char *text = malloc(big + 64);
    CHECK(text != NULL);
    if (!text) return;
    /* line 3 holds a 200000-byte field */
    size_t n = (size_t)sprintf(text, "a,b\n1,2\n");
    for (size_t i = 0; i < big; i++) text[n++] = '7';
    n += (size_t)sprintf(text + n, ",3\n4,5\n");
    const char *p = write_tmp_n(1, text, n);
    CHECK(p != NULL);
    nb_error err;
    nb_tensor *t = p ? nb_csv_read(p, true, NULL, 0, NB_FLOAT64, &err) : NULL;
    CHECK(t == NULL);
    nb_tensor_unref(t);
    CHECK_STATUS(err.code, NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, ":3: the row starting on this line is longer than the limit of 4096 bytes");
    if (p) unlink(p);
    free(text);

    /* many short fields: 1000 fields of "1" hold 1000 * (2 + 16) bytes > 4096 */
    char row[2100];
    size_t k = 0;
    for (int i = 0; i < 1000; i++) k += (size_t)sprintf(row + k, "%s1", i ? "," : "");
    row[k++] = '\n';
    row[k] = 0;
    expect_error(row, false, NULL, 0, NB_FLOAT32, NB_ERR_IO,
                 ":1: the row starting on this line is longer than the limit of 4096 bytes", NULL);

    /* 100 fields (100 * 18 bytes) and a 3000-byte quoted field spanning lines read fine */
    char ok[8000];
    k = 0;
    for (int i = 0; i < 100; i++) k += (size_t)sprintf(ok + k, "%s%d", i ? "," : "", i);
    k += (size_t)sprintf(ok + k, "\n");
    for (int i = 0; i < 100; i++) k += (size_t)sprintf(ok + k, "%s%d", i ? "," : "", 2 * i);
    ok[k] = 0;
    t = read_text(ok, false, NULL, 0, NB_FLOAT32, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 2 && nb_tensor_dim(t, 1) == 100);
    if (t) CHECK(at(t, 1, 99) == 198.0 && at(t, 0, 42) == 42.0);
    nb_tensor_unref(t);
    k = (size_t)sprintf(ok, "x,note\n1,\"");
    for (int i = 0; i < 3000; i++) ok[k++] = (i % 50 == 49) ? '\n' : 'q';
    k += (size_t)sprintf(ok + k, "\"\n2,x\n");
    ok[k] = 0;
    const char *xcol[] = {"x"};
    t = read_text(ok, true, xcol, 1, NB_FLOAT32, &err);
    CHECK(t && nb_tensor_dim(t, 0) == 2);
    if (t) CHECK(at(t, 0, 0) == 1.0 && at(t, 1, 0) == 2.0);
    nb_tensor_unref(t);
    /* a bad cell after that row: header line 1, the row from line 2 with 60 breaks, then line 63 */
    ok[k - 4] = 'y';
    expect_error(ok, true, xcol, 1, NB_FLOAT32, NB_ERR_IO, ":63: column 1 ('x'): 'y' is not a number", NULL);

    CHECK(nb_csv_set_max_row_bytes(0) == 4096);
    CHECK(nb_csv_set_max_row_bytes(0) == (size_t)64 << 20);
}

TEST(allocation_failures) {
    const char *text = "a,\"b c\",d\n1,2,3\n4,5,6\n7,8,9\n";
    const char *p = write_tmp_n(2, text, strlen(text));
    CHECK(p != NULL);
    if (!p) return;
    const char *cols[] = {"d", "a"};
    /* libcsv retries a failed buffer growth with a smaller size, so some
     * injected failures are absorbed: every run either succeeds or reports OOM. */
    int failures = 0;
    bool last_ok = false;
    for (long k = 1; k <= 60; k++) {
        nb_error err;
        nbi_alloc_fail_at(k);
        nb_tensor *t = nb_csv_read(p, true, cols, 2, NB_FLOAT32, &err);
        nbi_alloc_fail_at(0);
        last_ok = t != NULL;
        if (t) {
            CHECK(at(t, 2, 0) == 9 && at(t, 2, 1) == 7);
            nb_tensor_unref(t);
            continue;
        }
        failures++;
        CHECK_STATUS(err.code, NB_ERR_OUT_OF_MEMORY);
        CHECK_STR_CONTAINS(err.message, "out of memory");
    }
    CHECK(last_ok);
    CHECK(failures > 3);
    unlink(p);
}

/* Random texts over an alphabet that stresses the tokenizer: no crash, no
 * leak, and always either a well-formed tensor or an error with a message. */
TEST(random_inputs) {
    static const char alphabet[] = "01.,\"\r\n -ea\x00\xEF\xBB\xBF\t9";
    uint64_t s = 0x9E3779B97F4A7C15u;
    char text[256];
    nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64, NB_UINT8};
    int ok = 0, bad = 0;
    for (int it = 0; it < 3000; it++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        size_t n = (size_t)(s % 200);
        uint64_t r = s;
        for (size_t i = 0; i < n; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            /* Mostly digits and commas, so that some inputs parse. */
            text[i] = (r % 3) ? "0123456789,\n"[(r >> 8) % 12]
                              : alphabet[(r >> 8) % (sizeof alphabet - 1)];
        }
        const char *p = write_tmp_n(3, text, n);
        if (!p) continue;
        nb_error err = {NB_OK, ""};
        const char *cols[] = {"0", "1"};
        bool header = (it & 1) != 0;
        int nc = (it & 2) ? 2 : 0;
        nb_tensor *t = nb_csv_read(p, header, nc ? cols : NULL, nc, dts[it % 5], &err);
        unlink(p);
        if (t) {
            ok++;
            CHECK(nb_tensor_rank(t) == 2 && nb_tensor_dim(t, 1) >= 1);
            if (nc) CHECK(nb_tensor_dim(t, 1) == 2);
            nb_tensor_unref(t);
        } else {
            bad++;
            CHECK(err.code != NB_OK && err.message[0] != '\0');
        }
    }
    CHECK(ok > 10 && bad > 10);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
