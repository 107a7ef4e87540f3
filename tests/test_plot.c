/*
 * test_plot.c — figures: PNG and SVG files of the requested size, series that
 * really appear (the PNG is decoded with zlib and its pixels inspected), every
 * error path (empty data, mismatched lengths, nothing finite, bad arguments,
 * unknown extensions, unwritable paths, sticky errors), atomic replacement,
 * every input dtype, and many saves in one process (fresh PLplot streams).
 */
#include "harness.h"
#include "ops/ops_impl.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/*** Helpers ******************************************************************/

static char tmpdir[64];

static const char *tmp_path(const char *name) {
    static char buf[4][256];
    static int slot;
    char *p = buf[slot++ % 4];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/nb_plot_test_XXXXXX");
        if (!mkdtemp(tmpdir)) tmpdir[0] = 0;
    }
    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

/* Number of entries in the temporary directory (to spot leftover temporary files). */
static int dir_entries(void) {
    DIR *d = opendir(tmpdir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static unsigned char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(len > 0 ? (size_t)len + 1 : 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[len] = 0;
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A decoded 8-bit RGB image. */
typedef struct image {
    int w, h;
    unsigned char *rgb; /* w * h * 3 */
} image;

static int paeth(int a, int b, int c) {
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Decodes a non-interlaced 8-bit RGB or RGBA PNG (what cairo writes). Returns
 * false (and says why) otherwise. Checks the signature, the IHDR and the CRCs. */
static bool png_decode(const char *path, image *img) {
    size_t n;
    unsigned char *buf = read_file(path, &n);
    memset(img, 0, sizeof *img);
    if (!buf) {
        fprintf(stderr, "  cannot read %s\n", path);
        return false;
    }
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    bool ok = n > 33 && !memcmp(buf, sig, 8) && !memcmp(buf + 12, "IHDR", 4);
    int depth = 0, ctype = -1, interlace = -1;
    unsigned char *idat = NULL;
    size_t idat_n = 0;
    bool seen_iend = false;
    for (size_t off = 8; ok && off + 12 <= n;) {
        uint32_t len = be32(buf + off);
        if (off + 12 + len > n) {
            ok = false;
            break;
        }
        const unsigned char *type = buf + off + 4, *data = buf + off + 8;
        uint32_t crc = (uint32_t)crc32(0, type, len + 4);
        if (crc != be32(data + len)) ok = false;
        if (!memcmp(type, "IHDR", 4)) {
            img->w = (int)be32(data);
            img->h = (int)be32(data + 4);
            depth = data[8], ctype = data[9], interlace = data[12];
        } else if (!memcmp(type, "IDAT", 4)) {
            unsigned char *m = realloc(idat, idat_n + len);
            if (!m) ok = false;
            else {
                idat = m;
                memcpy(idat + idat_n, data, len);
                idat_n += len;
            }
        } else if (!memcmp(type, "IEND", 4)) {
            seen_iend = true;
        }
        off += 12 + len;
    }
    int ch = ctype == 2 ? 3 : ctype == 6 ? 4 : 0;
    ok = ok && seen_iend && depth == 8 && ch && interlace == 0 && img->w > 0 && img->h > 0;
    unsigned char *raw = NULL;
    size_t stride = ok ? (size_t)img->w * ch : 0;
    if (ok) {
        uLongf raw_n = (uLongf)((stride + 1) * img->h);
        raw = malloc(raw_n);
        ok = raw && uncompress(raw, &raw_n, idat, (uLong)idat_n) == Z_OK &&
             raw_n == (stride + 1) * img->h;
    }
    if (ok) {
        img->rgb = malloc((size_t)img->w * img->h * 3);
        unsigned char *prev = calloc(stride, 1), *cur = malloc(stride);
        ok = img->rgb && prev && cur;
        for (int y = 0; ok && y < img->h; y++) {
            const unsigned char *line = raw + (stride + 1) * y;
            int f = line[0];
            for (size_t i = 0; i < stride; i++) {
                int a = i >= (size_t)ch ? cur[i - ch] : 0, b = prev[i],
                    c = i >= (size_t)ch ? prev[i - ch] : 0, x = line[1 + i];
                int v = f == 0 ? x : f == 1 ? x + a : f == 2 ? x + b : f == 3 ? x + (a + b) / 2
                        : f == 4 ? x + paeth(a, b, c) : -1;
                if (v < 0) ok = false;
                cur[i] = (unsigned char)v;
            }
            for (int x = 0; x < img->w; x++)
                memcpy(img->rgb + ((size_t)y * img->w + x) * 3, cur + (size_t)x * ch, 3);
            memcpy(prev, cur, stride);
        }
        free(prev);
        free(cur);
    }
    free(raw);
    free(idat);
    free(buf);
    if (!ok) {
        free(img->rgb);
        img->rgb = NULL;
        fprintf(stderr, "  %s is not a PNG this test can decode\n", path);
    }
    return ok;
}

/* Pixels within tol of colour rgb in rows [y0, y1) and columns [x0, x1). */
static long count_color(const image *img, uint32_t rgb, int tol, int x0, int x1, int y0, int y1) {
    int r = rgb >> 16 & 255, g = rgb >> 8 & 255, b = rgb & 255;
    long n = 0;
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < img->h; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < img->w; x++) {
            const unsigned char *p = img->rgb + ((size_t)y * img->w + x) * 3;
            n += abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol;
        }
    return n;
}
static long count_all(const image *img, uint32_t rgb, int tol) {
    return count_color(img, rgb, tol, 0, img->w, 0, img->h);
}

static nb_tensor *vec(const double *v, int64_t n) {
    return nb_tensor_new(NB_FLOAT64, 1, &n, v);
}

/* Saves fig to name in the temporary directory, expecting success. */
static const char *save_ok(nb_figure *fig, const char *name) {
    const char *p = tmp_path(name);
    nb_error err;
    nb_status st = nb_figure_save(fig, p, &err);
    if (st != NB_OK) FAILF("saving %s: %s", p, err.message);
    CHECK(st == NB_OK);
    return p;
}

/* Expects saving fig to name to fail with code, naming the path and needle. */
static void save_fails(nb_figure *fig, const char *name, nb_status code, const char *needle) {
    const char *p = name[0] == '/' ? name : tmp_path(name);
    bool existed = access(p, F_OK) == 0;
    nb_error err;
    CHECK_STATUS(nb_figure_save(fig, p, &err), code);
    CHECK_STATUS(err.code, code);
    CHECK_STR_CONTAINS(err.message, p);
    if (needle) CHECK_STR_CONTAINS(err.message, needle);
    CHECK(existed || access(p, F_OK) != 0); /* nothing created */
}

static const double xs01[2] = {0.0, 1.0};

/*** File formats and sizes ***************************************************/

TEST(png_signature_and_size) {
    int sizes[3][2] = {{640, 480}, {123, 77}, {1000, 300}};
    for (int i = 0; i < 3; i++) {
        nb_figure *fig = nb_figure_new(sizes[i][0], sizes[i][1]);
        nb_tensor *y = vec((double[]){3, 1, 4, 1, 5, 9, 2, 6}, 8);
        CHECK_STATUS(nb_figure_line(fig, NULL, y, "digits", NB_COLOR_AUTO), NB_OK);
        nb_figure_title(fig, "size test");
        const char *p = save_ok(fig, "size.png");
        image img;
        CHECK(png_decode(p, &img));
        CHECK(img.w == sizes[i][0]);
        CHECK(img.h == sizes[i][1]);
        /* white background: the corners are white */
        if (img.rgb) {
            CHECK(count_color(&img, 0xffffff, 0, 0, 2, 0, 2) == 4);
            CHECK(count_color(&img, 0xffffff, 0, img.w - 2, img.w, img.h - 2, img.h) == 4);
        }
        free(img.rgb);
        nb_tensor_unref(y);
        nb_figure_free(fig);
    }
}

TEST(svg_is_well_formed_with_size) {
    nb_figure *fig = nb_figure_new(500, 350);
    nb_tensor *x = vec((double[]){1, 2, 3, 4}, 4), *y = vec((double[]){1, 4, 9, 16}, 4);
    nb_figure_scatter(fig, x, y, "squares", 0x2ca02c, NB_MARKER_SQUARE);
    nb_figure_line(fig, x, y, NULL, NB_COLOR_AUTO);
    nb_figure_xlabel(fig, "x");
    nb_figure_ylabel(fig, "x²");
    const char *p = save_ok(fig, "fig.SVG");
    size_t n;
    char *s = (char *)read_file(p, &n);
    CHECK(s != NULL);
    if (s) {
        CHECK(strncmp(s, "<?xml", 5) == 0);
        char *svg = strstr(s, "<svg");
        CHECK(svg != NULL);
        if (svg) {
            CHECK(strstr(svg, "width=\"500pt\"") != NULL);
            CHECK(strstr(svg, "height=\"350pt\"") != NULL);
        }
        /* closed, and the series' colour is used */
        char *end = strstr(s, "</svg>");
        CHECK(end != NULL && end > svg);
        CHECK(strstr(s, "rgb(17.254902%,62.745098%,17.254902%)") != NULL ||
              strstr(s, "rgb(17.3%,62.7%,17.3%)") != NULL || strstr(s, "#2ca02c") != NULL);
    }
    free(s);
    nb_tensor_unref(x);
    nb_tensor_unref(y);
    nb_figure_free(fig);
}

/*** Series really appear *****************************************************/

TEST(red_line_at_half_is_in_the_middle_rows) {
    int W = 400, H = 300;
    nb_figure *fig = nb_figure_new(W, H);
    nb_tensor *x = vec(xs01, 2), *y = vec((double[]){0.5, 0.5}, 2);
    CHECK_STATUS(nb_figure_line(fig, x, y, NULL, 0xff0000), NB_OK);
    const char *p = save_ok(fig, "red.png");
    image img;
    CHECK(png_decode(p, &img));
    if (img.rgb) {
        long total = count_all(&img, 0xff0000, 40);
        long middle = count_color(&img, 0xff0000, 40, 0, W, (int)(0.35 * H), (int)(0.65 * H));
        CHECK(total > W / 2);      /* a line across most of the plot, 2 px thick */
        CHECK(middle == total);    /* and nowhere else */
        CHECK(count_color(&img, 0xff0000, 40, 0, W, 0, H / 4) == 0);
    }
    free(img.rgb);
    nb_tensor_unref(x);
    nb_tensor_unref(y);
    nb_figure_free(fig);
}

TEST(another_colour_fails_the_pixel_check) {
    /* The check above really looks for the series: a blue line gives no red pixel. */
    nb_figure *fig = nb_figure_new(400, 300);
    nb_tensor *x = vec(xs01, 2), *y = vec((double[]){0.5, 0.5}, 2);
    nb_figure_line(fig, x, y, NULL, 0x0000ff);
    const char *p = save_ok(fig, "blue.png");
    image img;
    CHECK(png_decode(p, &img));
    if (img.rgb) {
        CHECK(count_all(&img, 0xff0000, 40) == 0);
        CHECK(count_all(&img, 0x0000ff, 40) > 200);
    }
    free(img.rgb);
    nb_tensor_unref(x);
    nb_tensor_unref(y);
    nb_figure_free(fig);
}

TEST(scatter_points_appear_where_their_data_are) {
    int W = 400, H = 400;
    nb_figure *fig = nb_figure_new(W, H);
    /* green points low on the left, magenta points high on the right */
    nb_tensor *xl = vec((double[]){0, 0.1, 0.2}, 3), *yl = vec((double[]){0, 0.1, 0}, 3);
    nb_tensor *xr = vec((double[]){0.8, 0.9, 1}, 3), *yr = vec((double[]){1, 0.9, 1}, 3);
    CHECK_STATUS(nb_figure_scatter(fig, xl, yl, "low", 0x00c000, NB_MARKER_CIRCLE), NB_OK);
    CHECK_STATUS(nb_figure_scatter(fig, xr, yr, "high", 0xff00ff, NB_MARKER_TRIANGLE), NB_OK);
    nb_figure_legend(fig, false);
    const char *p = save_ok(fig, "scatter.png");
    image img;
    CHECK(png_decode(p, &img));
    if (img.rgb) {
        long g_bl = count_color(&img, 0x00c000, 30, 0, W / 2, H / 2, H);
        long g_all = count_all(&img, 0x00c000, 30);
        long m_tr = count_color(&img, 0xff00ff, 30, W / 2, W, 0, H / 2);
        long m_all = count_all(&img, 0xff00ff, 30);
        CHECK(g_bl > 3 * 20);  /* three discs of about 50 pixels */
        CHECK(g_bl == g_all);
        CHECK(m_tr > 3 * 15);
        CHECK(m_tr == m_all);
    }
    free(img.rgb);
    nb_tensor_unref(xl);
    nb_tensor_unref(yl);
    nb_tensor_unref(xr);
    nb_tensor_unref(yr);
    nb_figure_free(fig);
}

static double identity(double x, void *ctx) {
    (void)ctx;
    return x;
}
static double always_nan(double x, void *ctx) {
    (void)ctx;
    return x > 10 ? x : NAN;
}

TEST(histogram_and_function_appear) {
    int W = 500, H = 400;
    nb_figure *fig = nb_figure_new(W, H);
    double v[1000];
    for (int i = 0; i < 1000; i++) v[i] = (i % 100) / 100.0 * (i % 100) / 100.0; /* skewed to 0 */
    nb_tensor *t = vec(v, 1000);
    CHECK_STATUS(nb_figure_histogram(fig, t, 20, "x²", 0x0000ff), NB_OK);
    CHECK_STATUS(nb_figure_function(fig, identity, NULL, 0, 1, "identity", 0xff0000), NB_OK);
    nb_figure_grid(fig, true);
    const char *p = save_ok(fig, "hist.png");
    image img;
    CHECK(png_decode(p, &img));
    if (img.rgb) {
        /* the first bin (values near 0) is the tallest: blue low on the left */
        CHECK(count_color(&img, 0x0000ff, 20, 0, W / 3, H / 2, H) > 1000);
        CHECK(count_all(&img, 0xff0000, 40) > 100);
    }
    free(img.rgb);
    nb_tensor_unref(t);
    nb_figure_free(fig);
}

TEST(legend_grid_log_axes_and_titles_save) {
    nb_figure *fig = nb_figure_new(640, 480);
    double loss[50];
    for (int i = 0; i < 50; i++) loss[i] = 100.0 * exp(-0.1 * i) + 0.01;
    nb_tensor *l = vec(loss, 50);
    CHECK_STATUS(nb_figure_line(fig, NULL, l, "loss # of step", NB_COLOR_AUTO), NB_OK);
    CHECK_STATUS(nb_figure_log_y(fig, true), NB_OK);
    CHECK_STATUS(nb_figure_grid(fig, true), NB_OK);
    CHECK_STATUS(nb_figure_legend(fig, true), NB_OK);
    CHECK_STATUS(nb_figure_title(fig, "Loss (log scale) #1"), NB_OK);
    CHECK_STATUS(nb_figure_xlabel(fig, "step"), NB_OK);
    CHECK_STATUS(nb_figure_ylabel(fig, "loss"), NB_OK);
    save_ok(fig, "log.png");
    save_ok(fig, "log.svg");
    CHECK_STATUS(nb_figure_log_x(fig, true), NB_OK); /* x = 0 is left out on a log axis */
    save_ok(fig, "loglog.png");
    nb_tensor_unref(l);
    nb_figure_free(fig);
}

TEST(every_dtype_and_rank) {
    nb_dtype dts[6] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_UINT8, NB_INT64, NB_BOOL};
    for (int i = 0; i < 6; i++) {
        nb_tensor *t = nb_tensor_zeros(dts[i], 2, (int64_t[]){2, 3});
        for (int j = 0; j < 6; j++) nb_tensor_set_flat(t, j, dts[i] == NB_BOOL ? j % 2 : j);
        nb_figure *fig = nb_figure_new(200, 150);
        CHECK_STATUS(nb_figure_line(fig, t, t, nb_dtype_name(dts[i]), NB_COLOR_AUTO), NB_OK);
        CHECK_STATUS(nb_figure_scatter(fig, NULL, t, NULL, NB_COLOR_AUTO, NB_MARKER_PLUS), NB_OK);
        CHECK_STATUS(nb_figure_histogram(fig, t, 0, NULL, NB_COLOR_AUTO), NB_OK);
        save_ok(fig, "dtype.png");
        nb_figure_free(fig);
        nb_tensor_unref(t);
    }
}

TEST(every_marker) {
    nb_figure *fig = nb_figure_new(300, 300);
    for (int m = 0; m < NB_MARKER_COUNT; m++) {
        nb_tensor *x = vec((double[]){m, m + 0.5}, 2), *y = vec((double[]){m, m * 0.5}, 2);
        CHECK_STATUS(nb_figure_scatter(fig, x, y, "m", NB_COLOR_AUTO, (nb_marker)m), NB_OK);
        nb_tensor_unref(x);
        nb_tensor_unref(y);
    }
    save_ok(fig, "markers.png");
    nb_figure_free(fig);
}

TEST(non_finite_points_are_skipped) {
    nb_figure *fig = nb_figure_new(300, 200);
    nb_tensor *y = vec((double[]){1, NAN, 3, INFINITY, 5, 4}, 6);
    CHECK_STATUS(nb_figure_line(fig, NULL, y, "gappy", NB_COLOR_AUTO), NB_OK);
    CHECK_STATUS(nb_figure_scatter(fig, NULL, y, "gappy", NB_COLOR_AUTO, NB_MARKER_CIRCLE), NB_OK);
    save_ok(fig, "gaps.png");
    nb_tensor_unref(y);
    nb_figure_free(fig);
}

/*** Independence, atomicity, many saves **************************************/

TEST(saves_are_independent_and_repeatable) {
    nb_figure *a = nb_figure_new(300, 200), *b = nb_figure_new(200, 300);
    nb_tensor *y = vec((double[]){1, 2, 3}, 3);
    nb_figure_line(a, NULL, y, "a", 0xff0000);
    nb_figure_scatter(b, NULL, y, "b", 0x00ff00, NB_MARKER_SQUARE);
    nb_figure_log_y(b, true);
    nb_figure_grid(b, true);
    const char *pa1 = save_ok(a, "a1.png");
    save_ok(b, "b.png");
    const char *pa2 = save_ok(a, "a2.png");
    size_t n1, n2;
    unsigned char *f1 = read_file(pa1, &n1), *f2 = read_file(pa2, &n2);
    CHECK(f1 && f2 && n1 == n2 && !memcmp(f1, f2, n1)); /* b's settings did not leak into a */
    free(f1);
    free(f2);
    nb_tensor_unref(y);
    nb_figure_free(a);
    nb_figure_free(b);
}

TEST(save_replaces_atomically_and_leaves_no_temporary_file) {
    nb_figure *fig = nb_figure_new(200, 200);
    nb_tensor *y = vec((double[]){1, 2}, 2);
    nb_figure_line(fig, NULL, y, NULL, NB_COLOR_AUTO);
    const char *p = tmp_path("replace.png");
    FILE *f = fopen(p, "w");
    if (f) {
        fputs("old contents", f);
        fclose(f);
    }
    int before = dir_entries();
    save_ok(fig, "replace.png");
    CHECK(dir_entries() == before);
    image img;
    CHECK(png_decode(p, &img));
    free(img.rgb);
    /* a failed save leaves the old file and no temporary file either */
    nb_figure *empty = nb_figure_new(200, 200);
    save_fails(empty, "replace.png", NB_ERR_INVALID_ARGUMENT, "no series");
    CHECK(dir_entries() == before);
    CHECK(png_decode(p, &img));
    free(img.rgb);
    nb_figure_free(empty);
    nb_tensor_unref(y);
    nb_figure_free(fig);
}

TEST(many_saves_in_one_process) {
    /* PLplot has 100 streams: each save must end its own. */
    nb_tensor *y = vec((double[]){2, 1, 2}, 3);
    for (int i = 0; i < 130; i++) {
        nb_figure *fig = nb_figure_new(64, 48);
        nb_figure_line(fig, NULL, y, NULL, NB_COLOR_AUTO);
        nb_error err;
        nb_status st = nb_figure_save(fig, tmp_path(i % 2 ? "many.svg" : "many.png"), &err);
        if (st != NB_OK) {
            FAILF("save %d: %s", i, err.message);
            nb_figure_free(fig);
            break;
        }
        nb_figure_free(fig);
    }
    nb_tensor_unref(y);
}

/*** Errors *******************************************************************/

TEST(empty_figure_fails_to_save) {
    nb_figure *fig = nb_figure_new(300, 200);
    nb_figure_title(fig, "nothing");
    save_fails(fig, "empty.png", NB_ERR_INVALID_ARGUMENT, "no series");
    save_fails(fig, "empty.svg", NB_ERR_INVALID_ARGUMENT, "nothing to draw");
    nb_figure_free(fig);
}

TEST(bad_data_errors) {
    nb_tensor *x3 = vec((double[]){1, 2, 3}, 3), *y2 = vec((double[]){1, 2}, 2);
    nb_tensor *empty = nb_tensor_zeros(NB_FLOAT32, 1, (int64_t[]){0});
    nb_tensor *nans = vec((double[]){NAN, INFINITY, -INFINITY}, 3);
    struct {
        int which;
        nb_status code;
        const char *needle;
    } cases[] = {
        {0, NB_ERR_SHAPE, "x has 3 values but y has 2"},
        {1, NB_ERR_INVALID_ARGUMENT, "y is empty"},
        {2, NB_ERR_INVALID_ARGUMENT, "none of its 3 points is finite"},
        {3, NB_ERR_INVALID_ARGUMENT, "none of its 3 values is finite"},
        {4, NB_ERR_INVALID_ARGUMENT, "values is empty"},
        {5, NB_ERR_INVALID_ARGUMENT, "y is NULL"},
        {6, NB_ERR_INVALID_ARGUMENT, "bins is -1"},
        {7, NB_ERR_INVALID_ARGUMENT, "marker 99"},
        {8, NB_ERR_INVALID_ARGUMENT, "colour 0x1000000"},
        {9, NB_ERR_INVALID_ARGUMENT, "the range [1, 1]"},
        {10, NB_ERR_INVALID_ARGUMENT, "f is NULL"},
        {11, NB_ERR_INVALID_ARGUMENT, "f gave no finite value"},
        {12, NB_ERR_SHAPE, "x has 3 values but y has 2"},
        {13, NB_ERR_INVALID_ARGUMENT, "size 8x100 is out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nb_figure *fig = nb_figure_new(cases[i].which == 13 ? 8 : 300, 100);
        nb_status st = NB_OK;
        switch (cases[i].which) {
        case 0: st = nb_figure_line(fig, x3, y2, "l", NB_COLOR_AUTO); break;
        case 1: st = nb_figure_line(fig, NULL, empty, "l", NB_COLOR_AUTO); break;
        case 2: st = nb_figure_scatter(fig, NULL, nans, "s", NB_COLOR_AUTO, NB_MARKER_CIRCLE); break;
        case 3: st = nb_figure_histogram(fig, nans, 5, "h", NB_COLOR_AUTO); break;
        case 4: st = nb_figure_histogram(fig, empty, 5, "h", NB_COLOR_AUTO); break;
        case 5: st = nb_figure_line(fig, x3, NULL, "l", NB_COLOR_AUTO); break;
        case 6: st = nb_figure_histogram(fig, x3, -1, "h", NB_COLOR_AUTO); break;
        case 7: st = nb_figure_scatter(fig, NULL, x3, "s", NB_COLOR_AUTO, (nb_marker)99); break;
        case 8: st = nb_figure_line(fig, NULL, x3, "l", 0x1000000); break;
        case 9: st = nb_figure_function(fig, identity, NULL, 1, 1, "f", NB_COLOR_AUTO); break;
        case 10: st = nb_figure_function(fig, NULL, NULL, 0, 1, "f", NB_COLOR_AUTO); break;
        case 11: st = nb_figure_function(fig, always_nan, NULL, 0, 1, "f", NB_COLOR_AUTO); break;
        case 12: st = nb_figure_scatter(fig, x3, y2, "s", NB_COLOR_AUTO, NB_MARKER_CIRCLE); break;
        case 13: st = nb_figure_status(fig); break;
        }
        CHECK_STATUS(st, cases[i].code);
        CHECK_STATUS(nb_figure_status(fig), cases[i].code);
        CHECK_STR_CONTAINS(nb_figure_errmsg(fig), cases[i].needle);
        /* the error is sticky: later additions are ignored, and saving reports it */
        CHECK_STATUS(nb_figure_line(fig, NULL, x3, "ok", NB_COLOR_AUTO), cases[i].code);
        CHECK_STATUS(nb_figure_title(fig, "t"), cases[i].code);
        save_fails(fig, "sticky.png", cases[i].code, cases[i].needle);
        nb_figure_free(fig);
    }
    nb_tensor_unref(x3);
    nb_tensor_unref(y2);
    nb_tensor_unref(empty);
    nb_tensor_unref(nans);
}

TEST(path_errors) {
    nb_figure *fig = nb_figure_new(200, 100);
    nb_tensor *y = vec((double[]){1, 2}, 2);
    nb_figure_line(fig, NULL, y, NULL, NB_COLOR_AUTO);
    save_fails(fig, "fig.jpg", NB_ERR_INVALID_ARGUMENT, ".png or .svg");
    save_fails(fig, "noextension", NB_ERR_INVALID_ARGUMENT, ".png or .svg");
    save_fails(fig, "dir.png/fig", NB_ERR_INVALID_ARGUMENT, ".png or .svg");
    save_fails(fig, "/nonexistent_dir_for_nabla/fig.png", NB_ERR_IO, "No such file or directory");
    save_fails(fig, "missing_subdir/fig.svg", NB_ERR_IO, "No such file or directory");
    if (geteuid() != 0) /* root writes anywhere */
        save_fails(fig, "/proc/fig.png", NB_ERR_IO, "cannot write");
    /* a directory in the way of the target name */
    const char *d = tmp_path("adir.png");
    mkdir(d, 0755);
    int before = dir_entries();
    save_fails(fig, "adir.png", NB_ERR_IO, "cannot write the file");
    CHECK(dir_entries() == before);
    rmdir(d);
    nb_error err;
    CHECK_STATUS(nb_figure_save(fig, NULL, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_figure_save(fig, "", &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_figure_save(NULL, tmp_path("x.png"), &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "x.png");
    CHECK_STATUS(nb_figure_save(fig, tmp_path("nullerr.png"), NULL), NB_OK);
    nb_tensor_unref(y);
    nb_figure_free(fig);
}

TEST(log_axis_without_positive_values) {
    nb_figure *fig = nb_figure_new(200, 100);
    nb_tensor *y = vec((double[]){-1, 0, -3}, 3);
    CHECK_STATUS(nb_figure_line(fig, NULL, y, "negative", NB_COLOR_AUTO), NB_OK);
    nb_figure_log_y(fig, true);
    save_fails(fig, "log_neg.png", NB_ERR_INVALID_ARGUMENT, "a log axis needs values > 0");
    nb_figure_log_y(fig, false);
    save_ok(fig, "log_neg.png");
    nb_tensor_unref(y);
    nb_figure_free(fig);
}

TEST(null_figure_calls) {
    nb_tensor *y = vec((double[]){1, 2}, 2);
    CHECK_STATUS(nb_figure_line(NULL, NULL, y, NULL, NB_COLOR_AUTO), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_figure_scatter(NULL, NULL, y, NULL, NB_COLOR_AUTO, NB_MARKER_CIRCLE),
                 NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_figure_histogram(NULL, y, 0, NULL, NB_COLOR_AUTO), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_figure_function(NULL, identity, NULL, 0, 1, NULL, NB_COLOR_AUTO),
                 NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_figure_title(NULL, "t"), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_figure_grid(NULL, true), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_figure_legend(NULL, true), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_figure_status(NULL), NB_ERR_INVALID_ARGUMENT);
    CHECK(nb_figure_errmsg(NULL) != NULL);
    nb_figure_free(NULL);
    nb_tensor_unref(y);
}

TEST(missing_driver_is_an_error_not_an_exit) {
    /* PLplot without its drivers (a drivers directory that does not exist) must
     * give an error, not end the process: run in a child with that environment. */
    if (getenv("NB_PLOT_CHILD")) {
        nb_figure *fig = nb_figure_new(100, 100);
        nb_tensor *y = vec((double[]){1, 2}, 2);
        nb_figure_line(fig, NULL, y, NULL, NB_COLOR_AUTO);
        nb_error err;
        nb_status st = nb_figure_save(fig, tmp_path("nodriver.png"), &err);
        printf("child: %s: %s\n", nb_status_string(st), err.message);
        CHECK(st == NB_ERR_UNIMPLEMENTED || st == NB_ERR_INTERNAL);
        CHECK_STR_CONTAINS(err.message, "nodriver.png");
        CHECK(access(tmp_path("nodriver.png"), F_OK) != 0);
        nb_tensor_unref(y);
        nb_figure_free(fig);
        return;
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "NB_PLOT_CHILD=1 PLPLOT_DRV_DIR=/nonexistent_plplot_drivers /proc/%d/exe "
             "missing_driver >/dev/null 2>&1",
             (int)getpid());
    int rc = system(cmd);
    CHECK(rc == 0);
}

TEST(allocation_failures) {
    /* Fail the n-th allocation of building and saving a figure: an error, no crash, no leak. */
    nb_tensor *y = vec((double[]){1, 3, 2}, 3);
    int failed = 0;
    for (long n = 1; n < 40; n++) {
        nbi_alloc_fail_at(n);
        nb_figure *fig = nb_figure_new(120, 90);
        if (!fig) {
            nbi_alloc_fail_at(0);
            failed++;
            continue;
        }
        nb_figure_title(fig, "title");
        nb_figure_line(fig, NULL, y, "line", NB_COLOR_AUTO);
        nb_figure_histogram(fig, y, 3, "hist", NB_COLOR_AUTO);
        nb_error err;
        nb_status st = nb_figure_save(fig, tmp_path("oom.png"), &err);
        nbi_alloc_fail_at(0);
        if (st != NB_OK) {
            failed++;
            CHECK_STATUS(st, NB_ERR_OUT_OF_MEMORY);
            CHECK_STR_CONTAINS(err.message, "out of memory");
        }
        nb_figure_free(fig);
    }
    CHECK(failed > 5);
    nb_tensor_unref(y);
}

int main(int argc, char **argv) {
    int rc = run_tests(argc, argv);
    if (getenv("NB_PLOT_KEEP")) printf("figures kept in %s\n", tmpdir);
    if (tmpdir[0] && !getenv("NB_PLOT_KEEP")) { /* remove the temporary directory and its files */
        DIR *d = opendir(tmpdir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            unlink(p);
        }
        if (d) closedir(d);
        rmdir(tmpdir);
    }
    return rc;
}
