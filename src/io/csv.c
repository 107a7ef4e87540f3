/*
 * csv.c — nb_csv_read: numeric columns of a CSV file into a [rows, cols] tensor.
 *
 * Tokenising is Debian's libcsv (RFC 4180 quoting, any mix of CR, LF, CRLF) in
 * strict mode; this file adds what libcsv does not do: a UTF-8 byte-order mark,
 * physical line numbers for messages, blank-line rules, the header and column
 * selection, and strict number parsing. References: RFC 4180; libcsv's manual
 * (csv_parse, CSV_REPALL_NL, CSV_STRICT_FINI).
 *
 * Rules (the header's doc comment states the same):
 *   - Every row has the field count of the first row (the header, if any).
 *   - Blank lines (empty or spaces/tabs only) may only end the file.
 *   - A requested column is, in this order: the header column whose name equals
 *     the string exactly; else, when the string is all decimal digits, the
 *     column with that 0-based index. Messages count columns from 1, as
 *     editors count lines, and lines include the header.
 *   - Cells: optional surrounding spaces, then all of the text must be one
 *     number. Float dtypes take anything strtod accepts (including inf, nan),
 *     in the C locale; a finite value too big for float32 is an error. Integer
 *     dtypes take decimal integers, or a float text with an integral value
 *     ("3.0", "1e3"); fractions and values out of the dtype's range are errors.
 *   - One row is held at a time, and it may hold at most nb_csv_max_row_bytes
 *     (default 64 MiB): its text plus 16 bytes of bookkeeping per field. A longer
 *     row is an error naming its line, found before the reader holds much more
 *     than the limit (a 1 GiB line once took 17 times its size in memory).
 */
#include "nb_internal.h"
#include "shard.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>

/*** The row-size limit ********************************************************/

#define CSV_DEFAULT_MAX_ROW ((size_t)64 << 20)
static _Atomic size_t g_max_row = CSV_DEFAULT_MAX_ROW;

size_t nb_csv_set_max_row_bytes(size_t n) {
    return atomic_exchange(&g_max_row, n ? n : CSV_DEFAULT_MAX_ROW);
}

/*** State shared by the libcsv callbacks ************************************/

typedef struct csv_state {
    const char *path;
    nb_error *err;
    nb_status status;         /* first error; callbacks do nothing once set */
    nb_dtype dtype;
    size_t esize;
    locale_t cloc;            /* the C locale for strtod, or 0 */
    bool has_header;
    const char *const *req;   /* requested columns, or NULL for all */
    int n_req;

    /* The row being read: fields back to back in buf, each NUL-terminated. */
    char *buf;
    size_t buf_len, buf_cap;
    struct csv_field { size_t off, len; } *fld;
    size_t nf, fld_cap;       /* fields in the row; fld capacity in bytes */
    long long line;           /* physical line (1-based) where the row starts */
    long long row_breaks;     /* line breaks inside quoted fields of the row */
    int prev_term;            /* terminator of the previous row: '\r', '\n' or 0 */
    long long blank_line;     /* first blank line not yet followed by data; 0: none */
    size_t max_row;           /* bytes one row may hold (text + fields) */

    /* Fixed by the first row. */
    bool have_layout;
    size_t n_fields;
    long long first_line;
    char *names;              /* header names back to back (NUL-terminated) */
    struct csv_field *name;   /* where each name is in names */
    size_t *sel;              /* file column of each output column */
    size_t n_sel;

    /* Values in row-major order, already in dtype. */
    unsigned char *vals;
    size_t vals_cap;          /* bytes */
    int64_t rows;

    /* nb_csv_read_rows / nb_csv_num_rows: only the data rows asked for are
     * checked and parsed, each into its place in the caller's list. */
    bool select_rows;
    const struct nbi_row_req *want; /* sorted by row; n_want of them */
    int64_t n_want, next_want;
    int64_t seen;             /* data rows met so far */
} csv_state;

/*** Messages ****************************************************************/

/* Printable excerpt of untrusted text for messages: at most ~40 bytes, control
 * bytes shown as '?', cut on a UTF-8 boundary, "..." when shortened. */
static void excerpt(const char *s, size_t n, char *out, size_t cap) {
    size_t max = cap - 4, k = n < max ? n : max;
    if (k < n)
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (k < n) {
        memcpy(out + k, "...", 4);
    } else {
        out[k] = '\0';
    }
}

static void fail(csv_state *st, nb_status code, const char *fmt, ...) NBI_PRINTF(3, 4);
static void fail(csv_state *st, nb_status code, const char *fmt, ...) {
    if (st->status != NB_OK) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    st->status = nbi_set_error(st->err, code, "%s", msg);
}

/* "path:line: column c ('name'): <what>", col 0-based. */
static void col_fail(csv_state *st, size_t col, const char *what) {
    char name[48];
    if (st->names) {
        excerpt(st->names + st->name[col].off, st->name[col].len, name, sizeof name);
        fail(st, NB_ERR_IO, "%.200s:%lld: column %zu ('%s'): %s", st->path, st->line, col + 1,
             name, what);
    } else {
        fail(st, NB_ERR_IO, "%.200s:%lld: column %zu: %s", st->path, st->line, col + 1, what);
    }
}

/* col_fail with "'<cell>' <fmt...>"; the excerpt is only made on this error path. */
static void cell_fail(csv_state *st, size_t col, const char *cell, size_t n, const char *fmt, ...)
    NBI_PRINTF(5, 6);
static void cell_fail(csv_state *st, size_t col, const char *cell, size_t n, const char *fmt, ...) {
    char show[48], why[200], what[256];
    excerpt(cell, n, show, sizeof show);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(what, sizeof what, "'%s' %s", show, why);
    col_fail(st, col, what);
}

static void oom(csv_state *st) {
    fail(st, NB_ERR_OUT_OF_MEMORY, "%.200s:%lld: out of memory", st->path, st->line);
}

/*** Growth helpers ***********************************************************/

/* Makes room for `need` bytes at *p (capacity *cap, doubling). */
static bool reserve(void **p, size_t *cap, size_t need) {
    if (need <= *cap) return true;
    size_t n = *cap ? *cap : 256;
    while (n < need) {
        if (n > SIZE_MAX / 2) {
            n = need;
            break;
        }
        n *= 2;
    }
    void *q = nbi_realloc(*p, n);
    if (!q) return false;
    *p = q;
    *cap = n;
    return true;
}

/*** Cells ********************************************************************/

static bool is_blank(char c) { return isspace((unsigned char)c) != 0; }

/* Parses cell (s, n) of file column col into slot i of st->vals. The cell is
 * NUL-terminated at n but may hold NULs of its own, so the parse must end
 * exactly at the trimmed end. */
static void parse_cell(csv_state *st, const char *s, size_t n, size_t col, int64_t i) {
    const char *b = s, *e = s + n;
    while (b < e && is_blank(*b)) b++;
    while (e > b && is_blank(e[-1])) e--;
    size_t tn = (size_t)(e - b);
    if (tn == 0) {
        col_fail(st, col, "empty cell; every selected cell must hold a number");
        return;
    }
    void *dst = st->vals + (size_t)i * st->esize;
    const char *dtn = nb_dtype_name(st->dtype);
    char *end;

    if (st->dtype == NB_FLOAT32 || st->dtype == NB_FLOAT64) {
        errno = 0;
        double v = st->cloc ? strtod_l(b, &end, st->cloc) : strtod(b, &end);
        if (end != e) {
            cell_fail(st, col, b, tn, "is not a number");
        } else if (errno == ERANGE && isinf(v)) {
            cell_fail(st, col, b, tn, "is out of range for %s", dtn);
        } else if (st->dtype == NB_FLOAT32) {
            float f = (float)v;
            if (isinf(f) && !isinf(v))
                cell_fail(st, col, b, tn, "is out of range for float32; read it as float64");
            memcpy(dst, &f, sizeof f);
        } else {
            memcpy(dst, &v, sizeof v);
        }
        return;
    }

    /* Integer dtypes: a decimal integer, else a float text with an integral value. */
    int64_t x = 0;
    bool range_err = false;
    errno = 0;
    long long ll = strtoll(b, &end, 10);
    if (end == e) {
        x = ll;
        range_err = errno == ERANGE;
    } else {
        errno = 0;
        double v = st->cloc ? strtod_l(b, &end, st->cloc) : strtod(b, &end);
        if (end != e) {
            cell_fail(st, col, b, tn, "is not a number");
            return;
        }
        if (isnan(v) || (isfinite(v) && v != floor(v))) {
            cell_fail(st, col, b, tn, "is not an integer (reading as %s)", dtn);
            return;
        }
        /* 2^63 is exactly representable; anything at or beyond it overflows int64. */
        if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
            range_err = true;
        else
            x = (int64_t)v;
    }
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    if (st->dtype == NB_INT32) lo = INT32_MIN, hi = INT32_MAX;
    if (st->dtype == NB_UINT8) lo = 0, hi = UINT8_MAX;
    if (range_err || x < lo || x > hi) {
        cell_fail(st, col, b, tn, "is out of range for %s (%lld..%lld)", dtn, (long long)lo,
                  (long long)hi);
        return;
    }
    if (st->dtype == NB_INT32) {
        int32_t y = (int32_t)x;
        memcpy(dst, &y, sizeof y);
    } else if (st->dtype == NB_UINT8) {
        uint8_t y = (uint8_t)x;
        memcpy(dst, &y, sizeof y);
    } else {
        memcpy(dst, &x, sizeof x);
    }
}

/*** Header and column selection ***********************************************/

/* Index string: all decimal digits, at most 18 of them (no overflow). */
static bool parse_index(const char *s, size_t *out) {
    size_t n = strlen(s), v = 0;
    if (n == 0 || n > 18) return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* "'a', 'b', ..." into out (cap >= 8), shortened with ", ..." to fit. */
static void list_names(const csv_state *st, char *out, size_t cap) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t j = 0; j < st->n_fields; j++) {
        char name[48];
        excerpt(st->names + st->name[j].off, st->name[j].len, name, sizeof name);
        size_t room = cap - used - 6; /* keep room for ", ..." */
        int w = snprintf(out + used, room, "%s'%s'", j ? ", " : "", name);
        if (w < 0 || (size_t)w >= room) {
            snprintf(out + used, cap - used, "%s...", j ? ", " : "");
            return;
        }
        used += (size_t)w;
    }
}

/* Copies the header names out of the row buffer. */
static bool keep_names(csv_state *st) {
    st->names = nbi_malloc(st->buf_len ? st->buf_len : 1);
    st->name = nbi_calloc(st->n_fields, sizeof *st->name);
    if (!st->names || !st->name) return false;
    memcpy(st->names, st->buf, st->buf_len);
    memcpy(st->name, st->fld, st->n_fields * sizeof *st->name);
    return true;
}

/* Resolves the requested columns against the first row (st->line is its line). */
static void select_columns(csv_state *st) {
    st->n_sel = st->req ? (size_t)st->n_req : st->n_fields;
    st->sel = nbi_calloc(st->n_sel, sizeof(size_t));
    if (!st->sel) {
        oom(st);
        return;
    }
    for (size_t k = 0; k < st->n_sel; k++) {
        if (!st->req) {
            st->sel[k] = k;
            continue;
        }
        const char *want = st->req[k];
        size_t wl = strlen(want), found = SIZE_MAX, again = SIZE_MAX;
        for (size_t j = 0; st->names && j < st->n_fields; j++) {
            if (st->name[j].len != wl || memcmp(st->names + st->name[j].off, want, wl) != 0)
                continue;
            if (found == SIZE_MAX)
                found = j;
            else if (again == SIZE_MAX)
                again = j;
        }
        char show[48];
        excerpt(want, wl, show, sizeof show);
        if (again != SIZE_MAX) {
            fail(st, NB_ERR_IO,
                 "%.200s:%lld: column name '%s' is ambiguous: columns %zu and %zu both have it; "
                 "select by 0-based index (\"%zu\") instead",
                 st->path, st->line, show, found + 1, again + 1, found);
            return;
        }
        if (found == SIZE_MAX) {
            size_t idx;
            if (parse_index(want, &idx)) {
                if (idx >= st->n_fields) {
                    fail(st, NB_ERR_NOT_FOUND,
                         "%.200s:%lld: column index %zu is out of range: the file has %zu "
                         "columns (indices 0..%zu)",
                         st->path, st->line, idx, st->n_fields, st->n_fields - 1);
                    return;
                }
                found = idx;
            } else if (st->names) {
                char list[256];
                list_names(st, list, sizeof list);
                fail(st, NB_ERR_NOT_FOUND, "%.200s:%lld: no column named '%s'; the header has %s",
                     st->path, st->line, show, list);
                return;
            } else {
                fail(st, NB_ERR_NOT_FOUND,
                     "%.200s: no column named '%s': the file is read without a header, so select "
                     "columns by 0-based index (\"0\"..\"%zu\")",
                     st->path, show, st->n_fields - 1);
                return;
            }
        }
        st->sel[k] = found;
    }
}

/*** Rows *********************************************************************/

/* A data row of nb_csv_read_rows: parsed into each place that asks for it,
 * skipped unchecked when none does. */
static void wanted_row(csv_state *st) {
    int64_t d = st->seen++;
    if (st->next_want >= st->n_want || st->want[st->next_want].row != d) return;
    size_t need = nbi_mul_size(nbi_mul_size((size_t)st->n_want, st->n_sel), st->esize);
    if (need == SIZE_MAX || !reserve((void **)&st->vals, &st->vals_cap, need ? need : 1)) {
        oom(st);
        return;
    }
    if (st->nf != st->n_fields) {
        fail(st, NB_ERR_IO, "%.200s:%lld: the row has %zu field%s, expected %zu as on line %lld",
             st->path, st->line, st->nf, st->nf == 1 ? "" : "s", st->n_fields, st->first_line);
        return;
    }
    for (; st->next_want < st->n_want && st->want[st->next_want].row == d; st->next_want++)
        for (size_t k = 0; k < st->n_sel && st->status == NB_OK; k++) {
            size_t j = st->sel[k];
            parse_cell(st, st->buf + st->fld[j].off, st->fld[j].len, j,
                       st->want[st->next_want].pos * (int64_t)st->n_sel + (int64_t)k);
        }
}

static void data_row(csv_state *st) {
    if (st->select_rows) {
        wanted_row(st);
        return;
    }
    if (st->nf != st->n_fields) {
        fail(st, NB_ERR_IO, "%.200s:%lld: the row has %zu field%s, expected %zu as on line %lld",
             st->path, st->line, st->nf, st->nf == 1 ? "" : "s", st->n_fields, st->first_line);
        return;
    }
    size_t row_bytes = nbi_mul_size(st->n_sel, st->esize);
    size_t need = nbi_mul_size((size_t)st->rows + 1, row_bytes);
    if (row_bytes == SIZE_MAX || need == SIZE_MAX ||
        !reserve((void **)&st->vals, &st->vals_cap, need)) {
        oom(st);
        return;
    }
    for (size_t k = 0; k < st->n_sel && st->status == NB_OK; k++) {
        size_t j = st->sel[k];
        parse_cell(st, st->buf + st->fld[j].off, st->fld[j].len, j,
                   st->rows * (int64_t)st->n_sel + (int64_t)k);
    }
    if (st->status == NB_OK) st->rows++;
}

/* Counts line breaks in quoted text: CRLF, lone CR and lone LF count one each. */
static long long count_breaks(const char *s, size_t n) {
    long long c = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            c++;
        else if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
            c++;
    }
    return c;
}

/* Fails when the row, with `pending` more bytes of field text, would hold more
 * than the limit: its text (with a NUL per field) and its field table. */
static bool row_too_big(csv_state *st, size_t pending) {
    size_t held = st->buf_len + (st->nf + 1) * (sizeof *st->fld + 1);
    if (pending <= st->max_row && held <= st->max_row - pending) return false;
    fail(st, NB_ERR_IO,
         "%.200s:%lld: the row starting on this line is longer than the limit of %zu bytes "
         "(its text plus %zu bytes per field; see nb_csv_set_max_row_bytes)",
         st->path, st->line, st->max_row, sizeof *st->fld);
    return true;
}

/* libcsv: one field of the current row. */
static void on_field(void *s, size_t n, void *data) {
    csv_state *st = data;
    if (st->status != NB_OK) return;
    if (!s) n = 0;
    if (row_too_big(st, n)) return;
    if (!reserve((void **)&st->buf, &st->buf_cap, st->buf_len + n + 1) ||
        !reserve((void **)&st->fld, &st->fld_cap, (st->nf + 1) * sizeof *st->fld)) {
        oom(st);
        return;
    }
    if (n) memcpy(st->buf + st->buf_len, s, n);
    st->buf[st->buf_len + n] = '\0';
    st->fld[st->nf].off = st->buf_len;
    st->fld[st->nf].len = n;
    st->nf++;
    st->buf_len += n + 1;
    st->row_breaks += count_breaks(st->buf + st->fld[st->nf - 1].off, n);
}

/* libcsv: end of a row. With CSV_REPALL_NL, c is the CR or LF that ended it (every
 * unquoted one is reported, so "\r\n" gives a second, empty row for its LF), or
 * -1 at the end of the file. */
static void on_row(int c, void *data) {
    csv_state *st = data;
    if (st->status != NB_OK) return;
    if (st->nf == 0) {
        if (c == '\n' && st->prev_term == '\r') {
            st->prev_term = '\n'; /* the LF of a CRLF */
            return;
        }
        if (c < 0) return;
        if (!st->blank_line) st->blank_line = st->line;
        st->line++;
        st->prev_term = c;
        return;
    }
    if (st->blank_line) {
        long long at = st->blank_line;
        fail(st, NB_ERR_IO,
             "%.200s:%lld: blank line before more data; blank lines are allowed only at the end "
             "of the file",
             st->path, at);
        return;
    }
    if (!st->have_layout) {
        st->have_layout = true;
        st->n_fields = st->nf;
        st->first_line = st->line;
        if (st->has_header && !keep_names(st)) {
            oom(st);
            return;
        }
        select_columns(st);
        if (!st->has_header && st->status == NB_OK) data_row(st);
    } else {
        data_row(st);
    }
    if (st->status != NB_OK) return;
    st->line += st->row_breaks + (c < 0 ? 0 : 1);
    st->row_breaks = 0;
    st->nf = 0;
    st->buf_len = 0;
    st->prev_term = c;
}

/*** Entry point **************************************************************/

static void state_free(csv_state *st) {
    nbi_free(st->buf);
    nbi_free(st->fld);
    nbi_free(st->names);
    nbi_free(st->name);
    nbi_free(st->sel);
    nbi_free(st->vals);
    if (st->cloc) freelocale(st->cloc);
}

/* Feeds the open file to the parser; the result is in st->status. */
static void parse_file(csv_state *st, FILE *f) {
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_REPALL_NL | CSV_STRICT_FINI) != 0) {
        oom(st);
        return;
    }
    csv_set_realloc_func(&p, nbi_realloc);
    csv_set_free_func(&p, nbi_free);
    csv_set_blk_size(&p, 65536); /* libcsv grows a field's buffer by this step */
    char chunk[16384];
    bool first = true;
    size_t n;
    while (st->status == NB_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        const char *s = chunk;
        if (first && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3, n -= 3;
        first = false;
        size_t done = csv_parse(&p, s, n, on_field, on_row, st);
        if (st->status != NB_OK) break;
        /* A field still open (one long field) counts against the row's limit too. */
        if (row_too_big(st, p.entry_pos)) break;
        if (done != n) {
            if (csv_error(&p) == CSV_EPARSE)
                fail(st, NB_ERR_IO,
                     "%.200s:%lld: bad quoting: a quote inside an unquoted field or text after a "
                     "closing quote; quote the whole field and double the quotes inside it",
                     st->path, st->line + st->row_breaks);
            else
                oom(st);
        }
    }
    if (st->status == NB_OK && ferror(f))
        fail(st, NB_ERR_IO, "%.200s: read error: %s", st->path, strerror(errno));
    if (st->status == NB_OK && csv_fini(&p, on_field, on_row, st) != 0 && st->status == NB_OK)
        fail(st, NB_ERR_IO, "%.200s:%lld: a quoted field is never closed", st->path, st->line);
    csv_free(&p);
}

/* nb_csv_read (want NULL, count NULL), nb_csv_read_rows (want: the sorted
 * requests) and nb_csv_num_rows (count: the data rows; no tensor). */
static nb_tensor *read_csv(const char *fn, const char *path, bool has_header,
                           const char *const *columns, int n_cols, nb_dtype dtype,
                           const nbi_row_req *want, int64_t n_want, int64_t *count,
                           nb_error *err) {
    if (err) {
        err->code = NB_OK;
        err->message[0] = '\0';
    }
    if (!path) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: path is NULL", fn);
        return NULL;
    }
    if (dtype != NB_FLOAT32 && dtype != NB_FLOAT64 && dtype != NB_INT32 && dtype != NB_INT64 &&
        dtype != NB_UINT8) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "%s: dtype %s is not supported; use float32, float64, int32, "
                      "int64 or uint8",
                      fn, nb_dtype_name(dtype));
        return NULL;
    }
    if (n_cols < 0 || (n_cols > 0 && !columns)) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "%s: n_cols is %d with columns %s; pass NULL and 0 for all columns",
                      fn, n_cols, columns ? "set" : "NULL");
        return NULL;
    }
    for (int k = 0; k < n_cols; k++) {
        if (!columns[k]) {
            nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: columns[%d] is NULL", fn, k);
            return NULL;
        }
    }

    csv_state st = {0};
    st.path = path;
    st.err = err;
    st.dtype = dtype;
    st.esize = nb_dtype_size(dtype);
    st.has_header = has_header;
    st.req = n_cols > 0 ? columns : NULL;
    st.n_req = n_cols;
    st.line = 1;
    st.max_row = atomic_load(&g_max_row);
    st.cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    st.select_rows = want != NULL || count != NULL;
    st.want = want;
    st.n_want = want ? n_want : 0;

    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        nbi_set_error(err, e == ENOENT ? NB_ERR_NOT_FOUND : NB_ERR_IO, "cannot open '%.200s': %s",
                      path, strerror(e));
        state_free(&st);
        return NULL;
    }
    parse_file(&st, f);
    fclose(f);

    if (st.status == NB_OK && !st.have_layout)
        fail(&st, NB_ERR_IO, "%.200s: the file is empty; expected %s", path,
             has_header ? "a header line" : "at least one row");
    if (st.status == NB_OK && st.select_rows && st.next_want < st.n_want)
        fail(&st, NB_ERR_INVALID_ARGUMENT, "%.200s: row %lld was asked for, but the file has %lld "
             "data row%s (0..%lld)", path, (long long)st.want[st.next_want].row,
             (long long)st.seen, st.seen == 1 ? "" : "s", (long long)st.seen - 1);
    if (count) *count = st.seen;
    nb_tensor *t = NULL;
    if (st.status == NB_OK && !(count && !want)) {
        int64_t dims[2] = {st.select_rows ? st.n_want : st.rows, (int64_t)st.n_sel};
        t = nbi_tensor_alloc(dtype, 2, dims);
        if (!t)
            fail(&st, NB_ERR_OUT_OF_MEMORY, "%.200s: out of memory for a [%lld, %zu] tensor", path,
                 (long long)dims[0], st.n_sel);
        else if (t->nbytes)
            memcpy(t->data, st.vals, t->nbytes);
    }
    state_free(&st);
    return t;
}

nb_tensor *nb_csv_read(const char *path, bool has_header, const char *const *columns,
                       int n_cols, nb_dtype dtype, nb_error *err) {
    return read_csv("nb_csv_read", path, has_header, columns, n_cols, dtype, NULL, 0, NULL, err);
}

nb_tensor *nb_csv_read_rows(const char *path, bool has_header, const char *const *columns,
                            int n_cols, nb_dtype dtype, const int64_t *rows, int64_t n_rows,
                            nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = '\0';
    nbi_row_req *want = nbi_sorted_rows(rows, n_rows, -1, path ? path : "nb_csv_read_rows", err);
    if (!want) return NULL;
    int64_t seen = 0;
    nb_tensor *t = read_csv("nb_csv_read_rows", path, has_header, columns, n_cols, dtype, want,
                            n_rows, &seen, err);
    nbi_free(want);
    return t;
}

nb_status nb_csv_num_rows(const char *path, bool has_header, int64_t *n, nb_error *err) {
    if (!n) return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_csv_num_rows: n is NULL");
    nb_error e = {NB_OK, ""};
    *n = 0;
    read_csv("nb_csv_num_rows", path, has_header, NULL, 0, NB_FLOAT32, NULL, 0, n, &e);
    if (e.code != NB_OK) *n = 0;
    if (err) *err = e;
    return e.code;
}
