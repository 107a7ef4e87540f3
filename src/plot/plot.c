/*
 * plot.c — figures (line, scatter, histogram, function series) drawn with
 * PLplot's cairo devices (pngcairo, svgcairo) and saved as PNG or SVG.
 *
 * A figure is only a description (copied data, labels, options) until it is
 * saved; nb_figure_save then draws it on a fresh PLplot stream and ends that
 * stream, so figures never share PLplot state. PLplot keeps global state
 * (its stream table, the exit and abort handlers), so saving is serialised by
 * a mutex. PLplot calls exit() on a fatal error unless its exit handler does
 * not return: our handler longjmps back into nb_figure_save (never out of the
 * library), which records the message and cleans up. PLplot never opens the
 * output file itself: it writes to a FILE* of ours (plsfile), a cookie stream
 * over a temporary file that records write errors and is renamed over the
 * target path once everything is written (an atomic replace).
 *
 * PLplot reference: the PLplot manual, "The PLplot API": plmkstrm, plsfile,
 * plsexit, plsabort, pllegend, plbox; the cairo driver's options.
 */
#include "core/core.h"

#include <plplot.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/*** The figure description ***************************************************/

enum { SERIES_LINE, SERIES_SCATTER, SERIES_HIST };

typedef struct series {
    int kind;
    int64_t n;     /* points; for a histogram, bins */
    double *x;     /* points' x; histogram: n + 1 bin edges */
    double *y;     /* points' y; histogram: n counts */
    char *label;   /* NULL: not in the legend */
    uint32_t rgb;
    nb_marker marker;
} series;

struct nb_figure {
    int width, height;
    char *title, *xlabel, *ylabel;
    bool grid, log_x, log_y;
    int legend;    /* -1 auto (shown when a series has a label), 0 hidden, 1 shown */
    series *s;
    int n_series, cap_series;
    int next_color;
    nb_status status;
    char errmsg[NBI_MSG_MAX];
};

/* matplotlib's "tab10" colour cycle. */
static const uint32_t color_cycle[10] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                         0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};

#define FIG_MIN_PX 16
#define FIG_MAX_PX 16384
#define FUNC_SAMPLES 512
#define HIST_MAX_BINS 100000

static nb_status fig_error(nb_figure *fig, nb_status code, const char *fmt, ...) NBI_PRINTF(3, 4);
static nb_status fig_error(nb_figure *fig, nb_status code, const char *fmt, ...) {
    if (fig->status != NB_OK) return nbi_error(code);
    va_list ap;
    va_start(ap, fmt);
    nbi_vrecord_error(&fig->status, fig->errmsg, sizeof fig->errmsg, code, fmt, ap);
    va_end(ap);
    return code;
}

nb_figure *nb_figure_new(int width_px, int height_px) {
    nb_figure *fig = nbi_calloc(1, sizeof *fig);
    if (!fig) return NULL;
    fig->width = width_px;
    fig->height = height_px;
    fig->legend = -1;
    if (width_px < FIG_MIN_PX || width_px > FIG_MAX_PX || height_px < FIG_MIN_PX ||
        height_px > FIG_MAX_PX)
        fig_error(fig, NB_ERR_INVALID_ARGUMENT,
                  "nb_figure_new: size %dx%d is out of range (each side must be %d..%d pixels)",
                  width_px, height_px, FIG_MIN_PX, FIG_MAX_PX);
    return fig;
}

static void series_clear(series *s) {
    nbi_free(s->x);
    nbi_free(s->y);
    nbi_free(s->label);
}

void nb_figure_free(nb_figure *fig) {
    if (!fig) return;
    for (int i = 0; i < fig->n_series; i++) series_clear(&fig->s[i]);
    nbi_free(fig->s);
    nbi_free(fig->title);
    nbi_free(fig->xlabel);
    nbi_free(fig->ylabel);
    nbi_free(fig);
}

nb_status nb_figure_status(const nb_figure *fig) {
    return fig ? fig->status : NB_ERR_INVALID_ARGUMENT;
}

const char *nb_figure_errmsg(const nb_figure *fig) {
    return fig ? fig->errmsg : "nb_figure_errmsg: the figure is NULL";
}

static nb_status set_text(nb_figure *fig, char **slot, const char *text, const char *fn) {
    if (!fig) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    if (fig->status != NB_OK) return fig->status;
    char *copy = NULL;
    if (text && !(copy = nbi_strdup(text)))
        return fig_error(fig, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
    nbi_free(*slot);
    *slot = copy;
    return NB_OK;
}

nb_status nb_figure_title(nb_figure *fig, const char *title) {
    return set_text(fig, fig ? &fig->title : NULL, title, "nb_figure_title");
}
nb_status nb_figure_xlabel(nb_figure *fig, const char *label) {
    return set_text(fig, fig ? &fig->xlabel : NULL, label, "nb_figure_xlabel");
}
nb_status nb_figure_ylabel(nb_figure *fig, const char *label) {
    return set_text(fig, fig ? &fig->ylabel : NULL, label, "nb_figure_ylabel");
}

static nb_status set_flag(nb_figure *fig, bool *flag, bool on) {
    if (!fig) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    if (fig->status != NB_OK) return fig->status;
    *flag = on;
    return NB_OK;
}
nb_status nb_figure_grid(nb_figure *fig, bool on) { return set_flag(fig, fig ? &fig->grid : NULL, on); }
nb_status nb_figure_log_x(nb_figure *fig, bool on) { return set_flag(fig, fig ? &fig->log_x : NULL, on); }
nb_status nb_figure_log_y(nb_figure *fig, bool on) { return set_flag(fig, fig ? &fig->log_y : NULL, on); }
nb_status nb_figure_legend(nb_figure *fig, bool show) {
    if (!fig) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    if (fig->status != NB_OK) return fig->status;
    fig->legend = show ? 1 : 0;
    return NB_OK;
}

/*** Adding series ************************************************************/

/* Common checks of an addition; returns NB_OK or the (recorded) error. */
static nb_status check_add(nb_figure *fig, const char *fn, const char *label, uint32_t rgb) {
    if (!fig) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    if (fig->status != NB_OK) return fig->status;
    if (rgb != NB_COLOR_AUTO && rgb > 0xFFFFFFu)
        return fig_error(fig, NB_ERR_INVALID_ARGUMENT,
                         "%s%s%s%s: colour 0x%X is not 0xRRGGBB (or NB_COLOR_AUTO)", fn,
                         label ? " '" : "", label ? label : "", label ? "'" : "", (unsigned)rgb);
    return NB_OK;
}

/* Copies a tensor's values as doubles (new nbi_malloc'd array in *out). */
static nb_status tensor_values(nb_figure *fig, const char *fn, const char *what,
                               const nb_tensor *t, double **out, int64_t *n) {
    *out = NULL;
    if (!nbi_dtype_valid(t->dtype))
        return fig_error(fig, NB_ERR_DTYPE, "%s: %s has an invalid dtype", fn, what);
    *n = t->size;
    if (t->size == 0)
        return fig_error(fig, NB_ERR_INVALID_ARGUMENT, "%s: %s is empty (nothing to draw)", fn,
                         what);
    size_t bytes = nbi_mul_size((size_t)t->size, sizeof(double));
    double *v = bytes == SIZE_MAX ? NULL : nbi_malloc(bytes);
    if (!v) return fig_error(fig, NB_ERR_OUT_OF_MEMORY, "%s: out of memory copying %s", fn, what);
    for (int64_t i = 0; i < t->size; i++) v[i] = nbi_load(t->data, t->dtype, i);
    *out = v;
    return NB_OK;
}

/* Appends a series, taking x, y and a copy of label; frees x and y on failure. */
static nb_status push_series(nb_figure *fig, const char *fn, int kind, int64_t n, double *x,
                             double *y, const char *label, uint32_t rgb, nb_marker marker) {
    series s = {kind, n, x, y, NULL, rgb, marker};
    if (label && !(s.label = nbi_strdup(label))) goto oom;
    if (fig->n_series == fig->cap_series) {
        int cap = fig->cap_series ? 2 * fig->cap_series : 4;
        series *ns = nbi_realloc(fig->s, nbi_mul_size((size_t)cap, sizeof *ns));
        if (!ns) goto oom;
        fig->s = ns;
        fig->cap_series = cap;
    }
    if (rgb == NB_COLOR_AUTO) s.rgb = color_cycle[fig->next_color++ % 10];
    fig->s[fig->n_series++] = s;
    return NB_OK;
oom:
    series_clear(&s);
    return fig_error(fig, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
}

/* Line and scatter: x (or 0..n-1) and y as doubles; at least one finite point. */
static nb_status add_points(nb_figure *fig, const char *fn, int kind, const nb_tensor *x,
                            const nb_tensor *y, const char *label, uint32_t rgb,
                            nb_marker marker) {
    nb_status st = check_add(fig, fn, label, rgb);
    if (st != NB_OK) return st;
    if (!y) return fig_error(fig, NB_ERR_INVALID_ARGUMENT, "%s: y is NULL", fn);
    if (kind == SERIES_SCATTER && ((int)marker < 0 || marker >= NB_MARKER_COUNT))
        return fig_error(fig, NB_ERR_INVALID_ARGUMENT, "%s: marker %d is not an nb_marker", fn,
                         (int)marker);
    const char *ln = label ? label : "(no label)";
    if (x && y->size != x->size)
        return fig_error(fig, NB_ERR_SHAPE,
                         "%s '%s': x has %lld values but y has %lld; they must have as many",
                         fn, ln, (long long)x->size, (long long)y->size);
    double *yv = NULL, *xv = NULL;
    int64_t n = 0, nx = 0;
    if ((st = tensor_values(fig, fn, "y", y, &yv, &n)) != NB_OK) return st;
    if (x) {
        if ((st = tensor_values(fig, fn, "x", x, &xv, &nx)) != NB_OK) {
            nbi_free(yv);
            return st;
        }
    } else {
        xv = nbi_malloc(nbi_mul_size((size_t)n, sizeof(double)));
        if (!xv) {
            nbi_free(yv);
            return fig_error(fig, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
        }
        for (int64_t i = 0; i < n; i++) xv[i] = (double)i;
    }
    int64_t finite = 0;
    for (int64_t i = 0; i < n; i++) finite += isfinite(xv[i]) && isfinite(yv[i]);
    if (finite == 0) {
        nbi_free(xv);
        nbi_free(yv);
        return fig_error(fig, NB_ERR_INVALID_ARGUMENT,
                         "%s '%s': none of its %lld points is finite (nothing to draw)", fn, ln,
                         (long long)n);
    }
    return push_series(fig, fn, kind, n, xv, yv, label, rgb, marker);
}

nb_status nb_figure_line(nb_figure *fig, const nb_tensor *x, const nb_tensor *y,
                         const char *label, uint32_t rgb) {
    return add_points(fig, "nb_figure_line", SERIES_LINE, x, y, label, rgb, NB_MARKER_CIRCLE);
}

nb_status nb_figure_scatter(nb_figure *fig, const nb_tensor *x, const nb_tensor *y,
                            const char *label, uint32_t rgb, nb_marker marker) {
    return add_points(fig, "nb_figure_scatter", SERIES_SCATTER, x, y, label, rgb, marker);
}

nb_status nb_figure_histogram(nb_figure *fig, const nb_tensor *values, int bins,
                              const char *label, uint32_t rgb) {
    const char *fn = "nb_figure_histogram";
    nb_status st = check_add(fig, fn, label, rgb);
    if (st != NB_OK) return st;
    if (!values) return fig_error(fig, NB_ERR_INVALID_ARGUMENT, "%s: values is NULL", fn);
    if (bins == 0) bins = 10;
    if (bins < 0 || bins > HIST_MAX_BINS)
        return fig_error(fig, NB_ERR_INVALID_ARGUMENT, "%s: bins is %d; use 1..%d (0: 10)", fn,
                         bins, HIST_MAX_BINS);
    double *v;
    int64_t n;
    if ((st = tensor_values(fig, fn, "values", values, &v, &n)) != NB_OK) return st;
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
    if (lo > hi) {
        nbi_free(v);
        return fig_error(fig, NB_ERR_INVALID_ARGUMENT,
                         "%s '%s': none of its %lld values is finite (nothing to draw)", fn,
                         label ? label : "(no label)", (long long)n);
    }
    if (lo == hi) { /* numpy.histogram's range for constant data */
        lo -= 0.5;
        hi += 0.5;
    }
    double *edges = nbi_malloc(((size_t)bins + 1) * sizeof(double));
    double *counts = nbi_calloc((size_t)bins, sizeof(double));
    if (!edges || !counts) {
        nbi_free(v);
        nbi_free(edges);
        nbi_free(counts);
        return fig_error(fig, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
    }
    for (int b = 0; b <= bins; b++) edges[b] = lo + (hi - lo) * b / bins;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        int64_t b = (int64_t)((v[i] - lo) / (hi - lo) * bins);
        counts[b < 0 ? 0 : b >= bins ? bins - 1 : b] += 1; /* the last bin is closed */
    }
    nbi_free(v);
    return push_series(fig, fn, SERIES_HIST, bins, edges, counts, label, rgb, NB_MARKER_CIRCLE);
}

nb_status nb_figure_function(nb_figure *fig, double (*f)(double x, void *ctx), void *ctx,
                             double x0, double x1, const char *label, uint32_t rgb) {
    const char *fn = "nb_figure_function";
    nb_status st = check_add(fig, fn, label, rgb);
    if (st != NB_OK) return st;
    if (!f) return fig_error(fig, NB_ERR_INVALID_ARGUMENT, "%s: f is NULL", fn);
    if (!(isfinite(x0) && isfinite(x1) && x0 < x1))
        return fig_error(fig, NB_ERR_INVALID_ARGUMENT,
                         "%s: the range [%g, %g] is not finite with x0 < x1", fn, x0, x1);
    double *xv = nbi_malloc(FUNC_SAMPLES * sizeof(double));
    double *yv = nbi_malloc(FUNC_SAMPLES * sizeof(double));
    if (!xv || !yv) {
        nbi_free(xv);
        nbi_free(yv);
        return fig_error(fig, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
    }
    bool geometric = fig->log_x && x0 > 0;
    int finite = 0;
    for (int i = 0; i < FUNC_SAMPLES; i++) {
        double t = (double)i / (FUNC_SAMPLES - 1);
        xv[i] = geometric ? x0 * pow(x1 / x0, t) : x0 + (x1 - x0) * t;
        if (i == FUNC_SAMPLES - 1) xv[i] = x1;
        yv[i] = f(xv[i], ctx);
        finite += isfinite(yv[i]) != 0;
    }
    if (!finite) {
        nbi_free(xv);
        nbi_free(yv);
        return fig_error(fig, NB_ERR_INVALID_ARGUMENT,
                         "%s '%s': f gave no finite value on [%g, %g] (nothing to draw)", fn,
                         label ? label : "(no label)", x0, x1);
    }
    return push_series(fig, fn, SERIES_LINE, FUNC_SAMPLES, xv, yv, label, rgb, NB_MARKER_CIRCLE);
}

/*** Layout: axis ranges, legend corner ***************************************/

typedef struct layout {
    double x0, x1, y0, y1;   /* world window (log10 units on a log axis) */
    double px_x, px_y;       /* pixels per world unit, set once the viewport exists */
    double vp[4];            /* viewport in normalised device coordinates */
} layout;

/* A value on an axis: log10 on a log axis (NAN for v <= 0), else v; NAN if not finite. */
static double axis_val(double v, bool log_axis) {
    if (!isfinite(v)) return NAN;
    if (log_axis) return v > 0 ? log10(v) : NAN;
    return v;
}

static void widen(double *lo, double *hi, double v) {
    if (!isfinite(v)) return;
    if (v < *lo) *lo = v;
    if (v > *hi) *hi = v;
}

/* Computes the window from every series; returns false (with msg) when a series
 * has nothing drawable (e.g. no positive value on a log axis). */
static bool compute_ranges(const nb_figure *fig, layout *L, char *msg, size_t msgn) {
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    bool all_hist = true;
    for (int k = 0; k < fig->n_series; k++) {
        const series *s = &fig->s[k];
        int64_t drawable = 0;
        if (s->kind == SERIES_HIST) {
            for (int64_t b = 0; b < s->n; b++) {
                double e0 = axis_val(s->x[b], fig->log_x), e1 = axis_val(s->x[b + 1], fig->log_x);
                double c = axis_val(s->y[b], fig->log_y);
                if (isnan(e0) || isnan(e1)) continue;
                widen(&xlo, &xhi, e0);
                widen(&xlo, &xhi, e1);
                if (!fig->log_y) widen(&ylo, &yhi, 0.0);
                widen(&ylo, &yhi, c);
                drawable += !isnan(c);
            }
        } else {
            all_hist = false;
            for (int64_t i = 0; i < s->n; i++) {
                double x = axis_val(s->x[i], fig->log_x), y = axis_val(s->y[i], fig->log_y);
                if (isnan(x) || isnan(y)) continue;
                widen(&xlo, &xhi, x);
                widen(&ylo, &yhi, y);
                drawable++;
            }
        }
        if (drawable == 0) {
            snprintf(msg, msgn, "series %d%s%s%s has no value that can be drawn%s", k + 1,
                     s->label ? " '" : "", s->label ? s->label : "", s->label ? "'" : "",
                     fig->log_x || fig->log_y ? " (a log axis needs values > 0)" : "");
            return false;
        }
    }
    /* Degenerate ranges get a unit of room; the others a 5% margin (matplotlib). */
    if (xlo == xhi) {
        double d = fig->log_x ? 0.5 : fmax(fabs(xlo) * 0.05, 0.5);
        xlo -= d, xhi += d;
    } else {
        double m = 0.05 * (xhi - xlo);
        xlo -= m, xhi += m;
    }
    if (ylo == yhi) {
        double d = fig->log_y ? 0.5 : fmax(fabs(ylo) * 0.05, 0.5);
        ylo -= d, yhi += d;
    } else {
        double m = 0.05 * (yhi - ylo);
        bool bars_from_zero = all_hist && !fig->log_y && ylo == 0;
        if (!bars_from_zero) ylo -= m;
        yhi += m;
    }
    L->x0 = xlo, L->x1 = xhi, L->y0 = ylo, L->y1 = yhi;
    return true;
}

/* The inside corner whose area (about the legend's size) holds the fewest data
 * points: upper right, upper left, lower left, lower right, in that order of
 * preference, as matplotlib's loc="best". */
static PLINT legend_corner(const nb_figure *fig, const layout *L, int n_entries, size_t max_len) {
    double h = fmin(0.9, 0.065 * n_entries + 0.04), w = fmin(0.9, 0.14 + 0.017 * (double)max_len);
    static const PLINT pos[4] = {PL_POSITION_TOP | PL_POSITION_RIGHT,
                                 PL_POSITION_TOP | PL_POSITION_LEFT,
                                 PL_POSITION_BOTTOM | PL_POSITION_LEFT,
                                 PL_POSITION_BOTTOM | PL_POSITION_RIGHT};
    int64_t count[4] = {0, 0, 0, 0};
    for (int k = 0; k < fig->n_series; k++) {
        const series *s = &fig->s[k];
        bool hist = s->kind == SERIES_HIST;
        int64_t n = s->n;
        for (int64_t i = 0; i < n; i++) {
            double x, y;
            if (hist) {
                x = axis_val(0.5 * (s->x[i] + s->x[i + 1]), fig->log_x);
                y = axis_val(s->y[i], fig->log_y);
            } else {
                x = axis_val(s->x[i], fig->log_x);
                y = axis_val(s->y[i], fig->log_y);
            }
            if (isnan(x) || isnan(y)) continue;
            double u = (x - L->x0) / (L->x1 - L->x0), v = (y - L->y0) / (L->y1 - L->y0);
            /* a bar covers everything below its top */
            for (int c = 0; c < 4; c++) {
                bool right = c == 0 || c == 3, top = c < 2;
                bool in_x = right ? u >= 1 - w : u <= w;
                bool in_y = top ? v >= 1 - h : (hist ? true : v <= h);
                if (hist && top) in_y = v >= 1 - h;
                count[c] += in_x && in_y;
            }
        }
    }
    int best = 0;
    for (int c = 1; c < 4; c++)
        if (count[c] < count[best]) best = c;
    return pos[best] | PL_POSITION_INSIDE;
}

/*** Drawing (PLplot) *********************************************************/

/* cmap0 entries: 0 background, 1 foreground, 2 grid, 3 legend frame, 4.. series. */
enum { COL_BG = 0, COL_FG = 1, COL_GRID = 2, COL_FRAME = 3, COL_SERIES = 4 };

/* PLplot treats '#' as the start of an escape sequence in text: double it. */
static char *plot_text(const char *s) {
    if (!s) return NULL;
    size_t n = 0;
    for (const char *p = s; *p; p++) n += *p == '#' ? 2 : 1;
    char *out = nbi_malloc(n + 1);
    if (!out) return NULL;
    char *o = out;
    for (const char *p = s; *p; p++) {
        *o++ = *p;
        if (*p == '#') *o++ = '#';
    }
    *o = 0;
    return out;
}

/* A polyline through the drawable points, broken at undrawable ones. */
static void draw_polyline(const nb_figure *fig, const series *s, PLFLT *bx, PLFLT *by,
                          int64_t cap) {
    int64_t m = 0;
    for (int64_t i = 0; i <= s->n; i++) {
        double x = i < s->n ? axis_val(s->x[i], fig->log_x) : NAN;
        double y = i < s->n ? axis_val(s->y[i], fig->log_y) : NAN;
        bool ok = !isnan(x) && !isnan(y);
        if (ok) {
            bx[m] = x, by[m] = y, m++;
        }
        if ((!ok || m == cap) && m > 0) {
            if (m == 1) plpoin(1, bx, by, 1); /* a lone point stays visible */
            else plline((PLINT)m, bx, by);
            if (ok && m == cap) { /* continue the line from its last point */
                bx[0] = bx[m - 1], by[0] = by[m - 1], m = 1;
            } else {
                m = 0;
            }
        }
    }
}

static void draw_marker(const layout *L, nb_marker mk, double x, double y) {
    double rx = 1.0 / L->px_x, ry = 1.0 / L->px_y; /* world units per pixel */
    PLFLT px[16], py[16];
    switch (mk) {
    case NB_MARKER_CIRCLE:
    case NB_MARKER_POINT: {
        double r = mk == NB_MARKER_CIRCLE ? 4.0 : 2.0;
        for (int i = 0; i < 16; i++) {
            double a = 2 * M_PI * i / 16;
            px[i] = x + r * rx * cos(a), py[i] = y + r * ry * sin(a);
        }
        plfill(16, px, py);
        break;
    }
    case NB_MARKER_SQUARE: {
        double r = 3.5;
        PLFLT sx[4] = {x - r * rx, x + r * rx, x + r * rx, x - r * rx};
        PLFLT sy[4] = {y - r * ry, y - r * ry, y + r * ry, y + r * ry};
        plfill(4, sx, sy);
        break;
    }
    case NB_MARKER_TRIANGLE: {
        double r = 4.5;
        PLFLT sx[3] = {x, x - 0.866 * r * rx, x + 0.866 * r * rx};
        PLFLT sy[3] = {y + r * ry, y - 0.5 * r * ry, y - 0.5 * r * ry};
        plfill(3, sx, sy);
        break;
    }
    case NB_MARKER_DIAMOND: {
        double r = 4.5;
        PLFLT sx[4] = {x, x + r * rx, x, x - r * rx};
        PLFLT sy[4] = {y + r * ry, y, y - r * ry, y};
        plfill(4, sx, sy);
        break;
    }
    case NB_MARKER_CROSS:
    case NB_MARKER_PLUS: {
        double r = 4.0;
        if (mk == NB_MARKER_CROSS) {
            pljoin(x - r * rx, y - r * ry, x + r * rx, y + r * ry);
            pljoin(x - r * rx, y + r * ry, x + r * rx, y - r * ry);
        } else {
            pljoin(x - r * rx, y, x + r * rx, y);
            pljoin(x, y - r * ry, x, y + r * ry);
        }
        break;
    }
    default:
        break;
    }
}

static void draw_series(const nb_figure *fig, const layout *L, int k, PLFLT *bx, PLFLT *by,
                        int64_t cap) {
    const series *s = &fig->s[k];
    plcol0(COL_SERIES + k);
    pllsty(1);
    if (s->kind == SERIES_LINE) {
        plwidth(2.0);
        draw_polyline(fig, s, bx, by, cap);
    } else if (s->kind == SERIES_SCATTER) {
        plwidth(1.5);
        for (int64_t i = 0; i < s->n; i++) {
            double x = axis_val(s->x[i], fig->log_x), y = axis_val(s->y[i], fig->log_y);
            if (!isnan(x) && !isnan(y)) draw_marker(L, s->marker, x, y);
        }
    } else {
        double base = L->y0;
        for (int64_t b = 0; b < s->n; b++) {
            double e0 = axis_val(s->x[b], fig->log_x), e1 = axis_val(s->x[b + 1], fig->log_x);
            double c = axis_val(s->y[b], fig->log_y);
            if (isnan(e0) || isnan(e1) || isnan(c) || c <= base) continue;
            PLFLT qx[4] = {e0, e1, e1, e0}, qy[4] = {base, base, c, c};
            plcol0(COL_SERIES + k);
            plfill(4, qx, qy);
            plcol0(COL_BG); /* a thin white edge separates neighbouring bars */
            plwidth(0.7);
            plline(4, qx, qy);
        }
    }
}

static const char *const marker_glyph[NB_MARKER_COUNT] = {"●", "■", "▲", "◆", "×", "+", "•"};

/* The legend's per-entry arrays, allocated before drawing (one block). */
typedef struct legend_buf {
    PLINT *opt, *tcol, *bcol, *bpat, *lcol, *lsty, *scol, *snum;
    PLFLT *bscale, *bwidth, *lwidth, *sscale;
    const char **text, **sym;
} legend_buf;

static void *legend_alloc(legend_buf *lb, int n) {
    size_t m = n > 0 ? (size_t)n : 1;
    char *block = nbi_malloc(m * (8 * sizeof(PLINT) + 4 * sizeof(PLFLT) + 2 * sizeof(char *)));
    if (!block) return NULL;
    PLFLT *f = (PLFLT *)block; /* doubles first, then pointers, then ints: all aligned */
    lb->bscale = f, lb->bwidth = f + m, lb->lwidth = f + 2 * m, lb->sscale = f + 3 * m;
    const char **c = (const char **)(f + 4 * m);
    lb->text = c, lb->sym = c + m;
    PLINT *p = (PLINT *)(c + 2 * m);
    lb->opt = p, lb->tcol = p + m, lb->bcol = p + 2 * m, lb->bpat = p + 3 * m;
    lb->lcol = p + 4 * m, lb->lsty = p + 5 * m, lb->scol = p + 6 * m, lb->snum = p + 7 * m;
    return block;
}

static void draw_legend(const nb_figure *fig, const layout *L, char **texts, legend_buf *lb) {
    int n = 0;
    size_t max_len = 0;
    for (int k = 0; k < fig->n_series; k++)
        if (fig->s[k].label) {
            n++;
            size_t len = strlen(fig->s[k].label);
            max_len = len > max_len ? len : max_len;
        }
    if (n == 0 || fig->legend == 0) return;
    int j = 0;
    for (int k = 0; k < fig->n_series; k++) {
        const series *s = &fig->s[k];
        if (!s->label) continue;
        lb->opt[j] = s->kind == SERIES_LINE      ? PL_LEGEND_LINE
                     : s->kind == SERIES_SCATTER ? PL_LEGEND_SYMBOL
                                                 : PL_LEGEND_COLOR_BOX;
        lb->tcol[j] = COL_FG;
        lb->bcol[j] = lb->lcol[j] = lb->scol[j] = COL_SERIES + k;
        lb->bpat[j] = 0;
        lb->lsty[j] = 1;
        lb->snum[j] = 1;
        lb->bscale[j] = 0.8;
        lb->bwidth[j] = 1;
        lb->lwidth[j] = 2;
        lb->sscale[j] = 0.75;
        lb->text[j] = texts[k] ? texts[k] : "";
        lb->sym[j] = marker_glyph[s->marker];
        j++;
    }
    PLFLT lw, lh;
    pllegend(&lw, &lh, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             legend_corner(fig, L, n, max_len), 0.02, 0.03, 0.07, COL_BG, COL_FRAME, 1, n, 1, n,
             lb->opt, 0.8, 0.85, 2.0, 0.0, lb->tcol, lb->text, lb->bcol, lb->bpat, lb->bscale,
             lb->bwidth, lb->lcol, lb->lsty, lb->lwidth, lb->scol, lb->sscale, lb->snum, lb->sym);
}

/* Draws the figure on the current (fresh) stream, writing to fp. Everything
 * PLplot needs from us is in plain memory prepared by the caller; this function
 * may be left by a longjmp from PLplot's exit handler. */
static void draw_figure(const nb_figure *fig, layout *L, const char *dev, FILE *fp, char **texts,
                        PLFLT *bx, PLFLT *by, int64_t cap, legend_buf *lb) {
    plsdev(dev);
    plsfile(fp);
    plspage(0, 0, fig->width, fig->height, 0, 0);
    plscolbg(255, 255, 255);
    plscmap0n(COL_SERIES + fig->n_series);
    plspause(0);
    plinit();
    plscol0(COL_FG, 0, 0, 0);
    plscol0(COL_GRID, 0xd8, 0xd8, 0xd8);
    plscol0(COL_FRAME, 0xb0, 0xb0, 0xb0);
    for (int k = 0; k < fig->n_series; k++) {
        uint32_t c = fig->s[k].rgb;
        plscol0(COL_SERIES + k, (PLINT)(c >> 16 & 255), (PLINT)(c >> 8 & 255), (PLINT)(c & 255));
    }
    pladv(0);
    plvsta();
    plwind(L->x0, L->x1, L->y0, L->y1);
    plgvpd(&L->vp[0], &L->vp[1], &L->vp[2], &L->vp[3]);
    L->px_x = (L->vp[1] - L->vp[0]) * fig->width / (L->x1 - L->x0);
    L->px_y = (L->vp[3] - L->vp[2]) * fig->height / (L->y1 - L->y0);
    if (fig->grid) {
        plcol0(COL_GRID);
        plwidth(1.0);
        plbox(fig->log_x ? "gl" : "g", 0, 0, fig->log_y ? "gl" : "g", 0, 0);
    }
    for (int k = 0; k < fig->n_series; k++) draw_series(fig, L, k, bx, by, cap);
    plcol0(COL_FG);
    plwidth(1.0);
    pllsty(1);
    plbox(fig->log_x ? "bcnstl" : "bcnst", 0, 0, fig->log_y ? "bcnstvl" : "bcnstv", 0, 0);
    pllab(texts[fig->n_series] ? texts[fig->n_series] : "",
          texts[fig->n_series + 1] ? texts[fig->n_series + 1] : "",
          texts[fig->n_series + 2] ? texts[fig->n_series + 2] : "");
    draw_legend(fig, L, texts, lb);
}

/*** PLplot's global state: lock, handlers, driver check **********************/

static pthread_mutex_t plot_lock = PTHREAD_MUTEX_INITIALIZER;
static jmp_buf *plot_jmp;    /* where the exit handler returns to (under plot_lock) */
static char plot_msg[256];   /* PLplot's first error message of this save */

static void note_msg(const char *msg) {
    if (!plot_msg[0]) snprintf(plot_msg, sizeof plot_msg, "%s", msg ? msg : "(no message)");
}
static void on_plabort(PLCHAR_VECTOR msg) { note_msg(msg); }
static int on_plexit(PLCHAR_VECTOR msg) {
    note_msg(msg);
    if (plot_jmp) longjmp(*plot_jmp, 1); /* back into nb_figure_save, never further */
    return 1;
}

/* Whether PLplot lists the device (reading its drivers directory). */
static bool plot_has_device(const char *dev) {
    enum { CAP = 256 };
    const char *menus[CAP], *names[CAP];
    const char **mp = menus, **np = names;
    int n = CAP;
    plgDevs(&mp, &np, &n);
    for (int i = 0; i < n && i < CAP; i++)
        if (names[i] && !strcmp(names[i], dev)) return true;
    return false;
}

/* PLplot finds its drivers through the directory compiled into it or the
 * PLPLOT_DRV_DIR variable. When neither gives the cairo driver and the user has
 * not set the variable, point it at the directory found when nabla was built. */
static bool plot_find_device(const char *dev) {
    static bool found[2]; /* pngcairo, svgcairo: listed once, known for good */
    bool *f = &found[strcmp(dev, "pngcairo") != 0];
    if (*f) return true;
    if (plot_has_device(dev)) return *f = true;
#ifdef NB_PLPLOT_DRV_DIR
    if (!getenv("PLPLOT_DRV_DIR")) {
        char probe[1024];
        snprintf(probe, sizeof probe, "%s/cairo.driver_info", NB_PLPLOT_DRV_DIR);
        if (access(probe, R_OK) == 0 && setenv("PLPLOT_DRV_DIR", NB_PLPLOT_DRV_DIR, 0) == 0)
            return *f = plot_has_device(dev);
    }
#endif
    return false;
}

/*** Output file: a cookie stream over the temporary file *********************/

typedef struct sink {
    int fd;
    int err;      /* first errno of a failed write */
    bool closed;  /* PLplot fclose'd the stream */
} sink;

static ssize_t sink_write(void *cookie, const char *buf, size_t n) {
    sink *s = cookie;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(s->fd, buf + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (!s->err) s->err = w < 0 ? errno : EIO;
            break;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

static int sink_close(void *cookie) {
    ((sink *)cookie)->closed = true;
    return 0;
}

/*** Saving *******************************************************************/

/* ".png" -> pngcairo, ".svg" -> svgcairo; NULL otherwise. */
static const char *device_for(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    if (!dot) return NULL;
    if (!strcasecmp(dot, ".png")) return "pngcairo";
    if (!strcasecmp(dot, ".svg")) return "svgcairo";
    return NULL;
}

/* Runs the PLplot part under the lock: a fresh stream, draw, end the stream.
 * Returns NB_OK or an error (message in msg). */
static nb_status plot_render(const nb_figure *fig, layout *L, const char *dev, FILE *fp,
                             char **texts, PLFLT *bx, PLFLT *by, int64_t cap, legend_buf *lb,
                             char *msg, size_t msgn) {
    static PLINT errcode;
    static char errbuf[1024]; /* PLplot's own copy of its messages (instead of stderr) */
    volatile nb_status st = NB_OK;
    volatile PLINT prev = 0, made = -1;
    pthread_mutex_lock(&plot_lock);
    jmp_buf jb;
    plot_msg[0] = 0;
    plot_jmp = &jb;
    plsexit(on_plexit);
    plsabort(on_plabort);
    if (setjmp(jb) == 0) {
        PLINT cur = 0, strm = -1;
        plgstrm(&cur);
        prev = cur;
        plmkstrm(&strm); /* a fresh stream, now the current one */
        if (strm < 0) {
            st = NB_ERR_INTERNAL;
            snprintf(msg, msgn, "PLplot could not create a stream: %s",
                     plot_msg[0] ? plot_msg : "too many streams");
        } else {
            made = strm;
            plsError(&errcode, errbuf);
            if (!plot_find_device(dev)) {
                st = NB_ERR_UNIMPLEMENTED;
                snprintf(msg, msgn,
                         "PLplot has no '%s' device: install its cairo driver (Debian: "
                         "plplot-driver-cairo)%s%s",
                         dev, plot_msg[0] ? "; PLplot said: " : "", plot_msg);
            } else {
                draw_figure(fig, L, dev, fp, texts, bx, by, cap, lb);
            }
            plend1(); /* ends and frees our stream */
            made = -1;
        }
    } else {
        /* PLplot called plexit: our stream is abandoned midway; end it if it can be. */
        st = NB_ERR_INTERNAL;
        snprintf(msg, msgn, "PLplot failed: %s", plot_msg);
        jmp_buf jb2;
        plot_jmp = &jb2;
        if (made >= 0 && setjmp(jb2) == 0) {
            plsstrm(made);
            plend1();
        }
    }
    if (st == NB_OK && plot_msg[0]) {
        st = NB_ERR_INTERNAL;
        snprintf(msg, msgn, "PLplot reported: %s", plot_msg);
    }
    plot_jmp = NULL;
    plsexit(NULL);
    plsabort(NULL);
    plsstrm(prev);
    pthread_mutex_unlock(&plot_lock);
    return st;
}

nb_status nb_figure_save(const nb_figure *fig, const char *path, nb_error *err) {
    if (err) {
        err->code = NB_OK;
        err->message[0] = 0;
    }
    if (!path || !*path)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_figure_save: path is NULL or empty");
    if (!fig)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: not saved: the figure is NULL", path);
    if (fig->status != NB_OK)
        return nbi_set_error(err, fig->status, "%s: not saved: %s", path, fig->errmsg);
    const char *dev = device_for(path);
    if (!dev)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                             "%s: unknown file type; the name must end in .png or .svg", path);
    if (fig->n_series == 0)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                             "%s: not saved: the figure has no series (nothing to draw); add one "
                             "with nb_figure_line, _scatter, _histogram or _function",
                             path);
    layout L = {0};
    char msg[400];
    if (!compute_ranges(fig, &L, msg, sizeof msg))
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: not saved: %s", path, msg);

    /* Everything PLplot will read, prepared before taking the lock: escaped
     * texts (series labels, then x label, y label, title) and a point buffer. */
    nb_status st = NB_OK;
    int nt = fig->n_series + 3;
    char **texts = nbi_calloc((size_t)nt, sizeof *texts);
    int64_t cap = 0;
    for (int k = 0; k < fig->n_series; k++) cap = fig->s[k].n > cap ? fig->s[k].n : cap;
    cap = cap < 2 ? 2 : cap > (1 << 20) ? (1 << 20) : cap + 1;
    PLFLT *bx = nbi_malloc((size_t)cap * sizeof *bx), *by = nbi_malloc((size_t)cap * sizeof *by);
    char *tmp = nbi_asprintf("%s.XXXXXX", path);
    legend_buf lb;
    void *lb_block = legend_alloc(&lb, fig->n_series);
    bool oom = !texts || !bx || !by || !tmp || !lb_block;
    for (int k = 0; !oom && k < nt; k++) {
        const char *src = k < fig->n_series ? fig->s[k].label
                          : k == fig->n_series   ? fig->xlabel
                          : k == fig->n_series + 1 ? fig->ylabel
                                                   : fig->title;
        if (src && !(texts[k] = plot_text(src))) oom = true;
    }
    int fd = -1;
    FILE *fp = NULL;
    sink snk = {-1, 0, false};
    if (oom) {
        st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: not saved: out of memory", path);
        goto done;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        st = nbi_set_error(err, NB_ERR_IO, "%s: cannot write a file there: %s", path,
                           strerror(errno));
        goto done;
    }
    snk.fd = fd;
    cookie_io_functions_t io = {.read = NULL, .write = sink_write, .seek = NULL, .close = sink_close};
    fp = fopencookie(&snk, "w", io);
    if (!fp) {
        st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: not saved: out of memory", path);
        goto done;
    }
    st = plot_render(fig, &L, dev, fp, texts, bx, by, cap, &lb, msg, sizeof msg);
    if (!snk.closed) fclose(fp); /* PLplot normally closes it when the stream ends */
    fp = NULL;
    if (st != NB_OK) {
        nbi_set_error(err, st, "%s: not saved: %s", path, msg);
        goto done;
    }
    struct stat sb;
    if (snk.err || fstat(fd, &sb) != 0 || sb.st_size == 0) {
        st = nbi_set_error(err, NB_ERR_IO, "%s: writing failed: %s", path,
                           snk.err ? strerror(snk.err) : "PLplot wrote nothing");
        goto done;
    }
    if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        st = nbi_set_error(err, NB_ERR_IO, "%s: writing failed: %s", path, strerror(errno));
        goto done;
    }
    int rc = close(fd);
    fd = -1;
    if (rc != 0 || rename(tmp, path) != 0) {
        st = nbi_set_error(err, NB_ERR_IO, "%s: cannot write the file: %s", path, strerror(errno));
        goto done;
    }
    nbi_free(tmp);
    tmp = NULL; /* renamed: nothing to remove */
done:
    if (fp && !snk.closed) fclose(fp);
    if (fd >= 0) close(fd);
    if (tmp && snk.fd >= 0) unlink(tmp); /* not renamed: remove the temporary file */
    nbi_free(tmp);
    nbi_free(lb_block);
    for (int k = 0; texts && k < nt; k++) nbi_free(texts[k]);
    nbi_free(texts);
    nbi_free(bx);
    nbi_free(by);
    return st;
}
