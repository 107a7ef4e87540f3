/*
 * nabla.c — the command-line tool: TensorBoard's views for people without
 * TensorBoard.
 *
 *   nabla events LOGDIR|FILE   lists runs, tags, steps, wall times and values
 *                              (CSV or JSON), or a per-tag summary; every
 *                              record's CRCs are checked by the library reader
 *   nabla graph LOGDIR|FILE -o out.svg|png|dot
 *                              draws the stored GraphDef with Graphviz: one
 *                              cluster per name scope, op types on nodes,
 *                              shapes on data edges, control edges dashed
 *
 * Reading goes through the public reader (nb_events_list_files,
 * nb_event_reader_*); the GraphDef bytes are decoded with the protobuf-c code
 * generated from proto/graph.proto. The drawing follows TensorBoard's graph
 * view (tensorboard/plugins/graph/tf_graph_common): name scopes as boxes,
 * inputs at the bottom, constants drawn small, "?x3" / "scalar" edge labels.
 * Exit status: 0 on success, 1 when a file is unreadable, corrupt or holds no
 * graph, 2 for a usage error.
 */
#include <nabla.h>

#include "graph.pb-c.h"
#include "../src/core/utf8.h"

#include <gvc.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*** Small helpers ***/

static const char *prog = "nabla";

static void die_oom(void) {
    fprintf(stderr, "%s: out of memory\n", prog);
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die_oom();
    return p;
}

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) die_oom();
    return p;
}

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

/* Graphviz takes char * for strings it only reads (and copies). */
static char *S(const char *s) { return (char *)(uintptr_t)s; }

/* A growable string. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_puts(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        sb_add(b, tmp, (size_t)n);
        return;
    }
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_add(b, big, (size_t)n);
    free(big);
}

/*** Usage ***/

static const char usage_text[] =
    "usage: nabla <command> [options]\n"
    "\n"
    "Commands:\n"
    "  events LOGDIR|FILE [--format csv|json] [--tag TAG] [--no-wall-time]\n"
    "      List every summary value of the event files under LOGDIR (one run per\n"
    "      directory, as TensorBoard reads them): run, tag, step, wall time, kind\n"
    "      and value. Histograms give count/min/max/mean, images width x height,\n"
    "      graphs their node count. Every record's CRCs are checked; a corrupt or\n"
    "      truncated file is reported on stderr with its byte offset, the records\n"
    "      before it are still listed, and the exit status is 1.\n"
    "  events --summary LOGDIR|FILE [--format csv|json] [--tag TAG]\n"
    "      One line per run and tag: number of points, first and last step and value.\n"
    "  graph LOGDIR|FILE -o OUT.svg|OUT.png|OUT.dot [--run RUN] [--depth N]\n"
    "      Draw the (last) graph stored in the event files with Graphviz: one box\n"
    "      per name scope, nodes labelled with name and op type, data edges with\n"
    "      tensor shapes, control edges dashed. --run picks the run when several\n"
    "      hold a graph. --depth N draws each scope nested deeper than N as one\n"
    "      box (0: one box per top-level scope), for big graphs. The output is\n"
    "      written atomically.\n"
    "  plot LOGDIR|FILE --tag TAG -o OUT.png|OUT.svg [--log-y] [--title TEXT]\n"
    "      Draw every run's curve of one scalar tag (value against step) on one\n"
    "      figure, one line per run, e.g. the three learning rates of\n"
    "      logs/learning_rate. Written atomically.\n"
    "  board --logdir DIR [--port N] [--host ADDR]\n"
    "      Serve TensorBoard's views of DIR at http://127.0.0.1:6006/ (`nabla board\n"
    "      --help`; tools/board/README.md).\n"
    "\n"
    "Options:\n"
    "  -h, --help       this text\n"
    "  -V, --version    the nabla version\n"
    "\n"
    "With TensorBoard installed, `tensorboard --logdir LOGDIR` shows the same files.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nRun 'nabla --help' for usage.\n");
    va_end(ap);
    return 2;
}

/*** Event files: shared reading loop ***/

/* Called for every event read; returns nothing, may print. */
typedef void (*event_fn)(void *ctx, const char *run, const char *file, const nb_event *ev);

/* Reads every event file under path in TensorBoard's order, calling fn on each
 * event. A corrupt or truncated file is reported (path and byte offset, from
 * the reader) and reading goes on with the next file. run_filter, when set,
 * keeps only that run. Returns 0, or 1 when anything could not be read. */
static int for_each_event(const char *path, const char *run_filter, event_fn fn, void *ctx,
                          int *n_files_read) {
    char **files = NULL, **runs = NULL;
    int n = 0, rc = 0;
    nb_error err;
    if (nb_events_list_files(path, &files, &runs, &n, &err) != NB_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.message);
        return 1;
    }
    int read = 0;
    for (int i = 0; i < n; i++) {
        if (run_filter && strcmp(runs[i], run_filter)) continue;
        read++;
        nb_event_reader *r = nb_event_reader_open(files[i], &err);
        if (!r) {
            fprintf(stderr, "%s: %s\n", prog, err.message);
            rc = 1;
            continue;
        }
        for (;;) {
            const nb_event *ev;
            if (nb_event_reader_next(r, &ev, &err) != NB_OK) {
                fprintf(stderr, "%s: %s\n", prog, err.message);
                rc = 1;
                break;
            }
            if (!ev) break;
            fn(ctx, runs[i], files[i], ev);
        }
        nb_event_reader_close(r);
    }
    if (n_files_read) *n_files_read = read;
    if (run_filter && read == 0) {
        fprintf(stderr, "%s: no run '%s' under '%s'; runs:", prog, run_filter, path);
        for (int i = 0; i < n; i++)
            if (i == 0 || strcmp(runs[i], runs[i - 1])) fprintf(stderr, " %s", runs[i]);
        fprintf(stderr, "\n");
        rc = 1;
    }
    nb_events_list_free(files, runs, n);
    return rc;
}

static Tensorflow__GraphDef *decode_graph(const nb_event *ev) {
    size_t len = 0;
    const void *bytes = nb_event_graph_def(ev, &len);
    if (!bytes) return NULL;
    return tensorflow__graph_def__unpack(NULL, len, bytes);
}

/*** nabla events ***/

enum { FMT_CSV, FMT_JSON };

typedef struct value_info {
    const char *kind; /* "scalar", "histogram", "image", "graph", "other" */
    double value;     /* scalar value, or a histogram's mean */
    bool has_value;
    double count, min, max, mean; /* histograms */
    int width, height;            /* images */
    long nodes;                   /* graphs */
} value_info;

static void get_value(const nb_event *ev, int i, value_info *v) {
    memset(v, 0, sizeof *v);
    double st[5];
    switch (nb_event_value_kind(ev, i)) {
    case NB_VALUE_SCALAR:
        v->kind = "scalar";
        v->value = nb_event_value_scalar(ev, i);
        v->has_value = true;
        break;
    case NB_VALUE_HISTOGRAM:
        v->kind = "histogram";
        nb_event_value_histogram(ev, i, st, NULL, NULL);
        v->min = st[0], v->max = st[1], v->count = st[2];
        v->mean = st[2] > 0 ? st[3] / st[2] : NAN;
        v->value = v->mean;
        v->has_value = true;
        break;
    case NB_VALUE_IMAGE:
        v->kind = "image";
        nb_event_value_image(ev, i, NULL, &v->height, &v->width, NULL);
        break;
    default: v->kind = "other"; break;
    }
}

/* Numbers: %.9g round-trips a float32; NaN and infinities spelled the same
 * everywhere (printf may write "-nan"). JSON has no NaN: null. */
static void fmt_num(char *buf, size_t n, double x, int format) {
    if (isnan(x)) snprintf(buf, n, "%s", format == FMT_JSON ? "null" : "nan");
    else if (isinf(x)) snprintf(buf, n, "%s", format == FMT_JSON ? "null" : x > 0 ? "inf" : "-inf");
    else snprintf(buf, n, "%.9g", x);
}

static void put_csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* A JSON string; bytes that are not UTF-8 (a tag from another writer) become
 * U+FFFD, one per byte, so the output stays valid JSON. */
static void put_json_string(FILE *f, const char *s) {
    fputc('"', f);
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        int k = nbi_utf8_len(p + i, n - i);
        if (!k) fputs("\\ufffd", f), k = 1;
        else if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fwrite(p + i, 1, (size_t)k, f);
        i += (size_t)k;
    }
    fputc('"', f);
}

typedef struct summary_entry {
    char *run, *tag;
    const char *kind;
    long points;
    int64_t first_step, last_step;
    value_info first, last;
} summary_entry;

typedef struct events_ctx {
    int format;
    const char *tag;
    bool wall_time;
    bool summary;
    long rows;
    long matched; /* values that passed the --tag filter (graphs included) */
    /* --summary: entries in order of first appearance, found through an
     * open-addressing hash of (run, tag) so many tags stay linear */
    summary_entry *entries;
    int n_entries, cap_entries;
    int *slots; /* entry index + 1, 0 empty; n_slots a power of two */
    size_t n_slots;
    /* --tag: the first distinct tags that did not match, while nothing has */
    char *other[8];
    int n_other;
    bool more_other;
} events_ctx;

static void print_row(events_ctx *c, const char *run, const char *tag, const nb_event *ev,
                      const value_info *v) {
    char num[64];
    FILE *f = stdout;
    bool hist = !strcmp(v->kind, "histogram"), img = !strcmp(v->kind, "image"),
         graph = !strcmp(v->kind, "graph");
    if (c->format == FMT_CSV) {
        put_csv_field(f, run);
        fputc(',', f);
        put_csv_field(f, tag);
        fprintf(f, ",%lld,", (long long)nb_event_step(ev));
        if (c->wall_time) fprintf(f, "%.6f,", nb_event_wall_time(ev));
        fprintf(f, "%s,", v->kind);
        if (v->has_value && !hist) fmt_num(num, sizeof num, v->value, FMT_CSV), fputs(num, f);
        fputc(',', f);
        if (hist) fmt_num(num, sizeof num, v->count, FMT_CSV), fputs(num, f);
        else if (graph) fprintf(f, "%ld", v->nodes);
        fputc(',', f);
        if (hist) fmt_num(num, sizeof num, v->min, FMT_CSV), fputs(num, f);
        fputc(',', f);
        if (hist) fmt_num(num, sizeof num, v->max, FMT_CSV), fputs(num, f);
        fputc(',', f);
        if (hist) fmt_num(num, sizeof num, v->mean, FMT_CSV), fputs(num, f);
        fputc(',', f);
        if (img) fprintf(f, "%d", v->width);
        fputc(',', f);
        if (img) fprintf(f, "%d", v->height);
        fputc('\n', f);
    } else {
        fputs(c->rows ? ",\n" : "\n", f);
        fputs("  {\"run\": ", f);
        put_json_string(f, run);
        fputs(", \"tag\": ", f);
        put_json_string(f, tag);
        fprintf(f, ", \"step\": %lld", (long long)nb_event_step(ev));
        if (c->wall_time) fprintf(f, ", \"wall_time\": %.6f", nb_event_wall_time(ev));
        fprintf(f, ", \"kind\": \"%s\"", v->kind);
        if (hist) {
            fmt_num(num, sizeof num, v->count, FMT_JSON), fprintf(f, ", \"count\": %s", num);
            fmt_num(num, sizeof num, v->min, FMT_JSON), fprintf(f, ", \"min\": %s", num);
            fmt_num(num, sizeof num, v->max, FMT_JSON), fprintf(f, ", \"max\": %s", num);
            fmt_num(num, sizeof num, v->mean, FMT_JSON), fprintf(f, ", \"mean\": %s", num);
        } else if (img) {
            fprintf(f, ", \"width\": %d, \"height\": %d", v->width, v->height);
        } else if (graph) {
            fprintf(f, ", \"nodes\": %ld", v->nodes);
        } else if (v->has_value) {
            fmt_num(num, sizeof num, v->value, FMT_JSON), fprintf(f, ", \"value\": %s", num);
        }
        fputc('}', f);
    }
    c->rows++;
}

/* FNV-1a of run, a NUL, and tag. */
static size_t hash_run_tag(const char *run, const char *tag) {
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)run; *p; p++) h = (h ^ *p) * 1099511628211ull;
    h *= 1099511628211ull;
    for (const unsigned char *p = (const unsigned char *)tag; *p; p++) h = (h ^ *p) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

/* The slot holding (run, tag), or the empty slot where it goes. */
static int *find_slot(events_ctx *c, const char *run, const char *tag) {
    size_t mask = c->n_slots - 1;
    for (size_t i = hash_run_tag(run, tag) & mask;; i = (i + 1) & mask) {
        int k = c->slots[i];
        if (!k || (!strcmp(c->entries[k - 1].tag, tag) && !strcmp(c->entries[k - 1].run, run)))
            return &c->slots[i];
    }
}

/* Keeps the table at most half full. */
static void grow_slots(events_ctx *c) {
    if ((size_t)c->n_entries + 1 <= c->n_slots / 2) return;
    free(c->slots);
    c->n_slots = c->n_slots ? 2 * c->n_slots : 64;
    c->slots = xmalloc(c->n_slots * sizeof *c->slots);
    memset(c->slots, 0, c->n_slots * sizeof *c->slots);
    for (int k = 0; k < c->n_entries; k++) *find_slot(c, c->entries[k].run, c->entries[k].tag) = k + 1;
}

static void add_to_summary(events_ctx *c, const char *run, const char *tag, const nb_event *ev,
                           const value_info *v) {
    grow_slots(c);
    int *slot = find_slot(c, run, tag);
    summary_entry *e = *slot ? &c->entries[*slot - 1] : NULL;
    if (!e) {
        if (c->n_entries == c->cap_entries) {
            c->cap_entries = c->cap_entries ? 2 * c->cap_entries : 16;
            c->entries = xrealloc(c->entries, (size_t)c->cap_entries * sizeof *c->entries);
        }
        e = &c->entries[c->n_entries++];
        *slot = c->n_entries;
        memset(e, 0, sizeof *e);
        e->run = xstrdup(run);
        e->tag = xstrdup(tag);
        e->kind = v->kind;
        e->first_step = nb_event_step(ev);
        e->first = *v;
    }
    e->points++;
    e->last_step = nb_event_step(ev);
    e->last = *v;
}

/* Keeps the first few distinct tags seen, for the message when --tag matches nothing. */
static void remember_tag(events_ctx *c, const char *tag) {
    if (c->matched) return;
    for (int i = 0; i < c->n_other; i++)
        if (!strcmp(c->other[i], tag)) return;
    if (c->n_other < (int)(sizeof c->other / sizeof *c->other)) c->other[c->n_other++] = xstrdup(tag);
    else c->more_other = true;
}

static void on_event(void *ctx, const char *run, const char *file, const nb_event *ev) {
    (void)file;
    events_ctx *c = ctx;
    value_info v;
    if (nb_event_get_kind(ev) == NB_EVENT_GRAPH) {
        if (c->tag) return;
        memset(&v, 0, sizeof v);
        v.kind = "graph";
        Tensorflow__GraphDef *gd = decode_graph(ev);
        v.nodes = gd ? (long)gd->n_node : -1;
        if (gd) tensorflow__graph_def__free_unpacked(gd, NULL);
        if (c->summary) add_to_summary(c, run, "", ev, &v);
        else print_row(c, run, "", ev, &v);
        return;
    }
    int n = nb_event_num_values(ev);
    for (int i = 0; i < n; i++) {
        const char *tag = nb_event_value_tag(ev, i);
        if (c->tag && strcmp(c->tag, tag)) {
            remember_tag(c, tag);
            continue;
        }
        c->matched++;
        get_value(ev, i, &v);
        if (c->summary) add_to_summary(c, run, tag, ev, &v);
        else print_row(c, run, tag, ev, &v);
    }
}

static void print_summary(events_ctx *c) {
    char a[64], b[64];
    if (c->format == FMT_CSV) printf("run,tag,kind,points,first_step,first_value,last_step,last_value\n");
    else printf("[");
    for (int i = 0; i < c->n_entries; i++) {
        summary_entry *e = &c->entries[i];
        a[0] = b[0] = 0;
        if (e->first.has_value) fmt_num(a, sizeof a, e->first.value, c->format);
        if (e->last.has_value) fmt_num(b, sizeof b, e->last.value, c->format);
        if (c->format == FMT_CSV) {
            put_csv_field(stdout, e->run);
            putchar(',');
            put_csv_field(stdout, e->tag);
            printf(",%s,%ld,%lld,%s,%lld,%s\n", e->kind, e->points, (long long)e->first_step, a,
                   (long long)e->last_step, b);
        } else {
            printf("%s\n  {\"run\": ", i ? "," : "");
            put_json_string(stdout, e->run);
            printf(", \"tag\": ");
            put_json_string(stdout, e->tag);
            printf(", \"kind\": \"%s\", \"points\": %ld, \"first_step\": %lld", e->kind, e->points,
                   (long long)e->first_step);
            if (a[0]) printf(", \"first_value\": %s", a);
            printf(", \"last_step\": %lld", (long long)e->last_step);
            if (b[0]) printf(", \"last_value\": %s", b);
            printf("}");
        }
    }
    if (c->format == FMT_JSON) printf("%s]\n", c->n_entries ? "\n" : "");
    for (int i = 0; i < c->n_entries; i++) {
        free(c->entries[i].run);
        free(c->entries[i].tag);
    }
    free(c->entries);
    free(c->slots);
}

static int cmd_events(int argc, char **argv) {
    events_ctx c = {.format = FMT_CSV, .wall_time = true};
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--format") || !strcmp(a, "--tag")) {
            if (i + 1 >= argc) return usage_error("%s needs a value", a);
            const char *val = argv[++i];
            if (!strcmp(a, "--tag")) c.tag = val;
            else if (!strcmp(val, "csv")) c.format = FMT_CSV;
            else if (!strcmp(val, "json")) c.format = FMT_JSON;
            else return usage_error("unknown format '%s': use csv or json", val);
        } else if (!strncmp(a, "--format=", 9)) {
            if (!strcmp(a + 9, "csv")) c.format = FMT_CSV;
            else if (!strcmp(a + 9, "json")) c.format = FMT_JSON;
            else return usage_error("unknown format '%s': use csv or json", a + 9);
        } else if (!strncmp(a, "--tag=", 6)) {
            c.tag = a + 6;
        } else if (!strcmp(a, "--summary")) {
            c.summary = true;
        } else if (!strcmp(a, "--no-wall-time")) {
            c.wall_time = false;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("events: unknown option '%s'", a);
        } else if (path) {
            return usage_error("events: one LOGDIR or FILE, got a second: '%s'", a);
        } else {
            path = a;
        }
    }
    if (!path) return usage_error("%s", "events: missing LOGDIR or FILE");
    if (!c.summary) {
        if (c.format == FMT_CSV)
            printf("run,tag,step,%skind,value,count,min,max,mean,width,height\n",
                   c.wall_time ? "wall_time," : "");
        else
            printf("[");
    }
    int rc = for_each_event(path, NULL, on_event, &c, NULL);
    if (c.summary) print_summary(&c);
    else if (c.format == FMT_JSON) printf("%s]\n", c.rows ? "\n" : "");
    if (c.tag && !c.matched && rc == 0) {
        /* An empty table alone would read as "the tag has no values yet". */
        fprintf(stderr, "%s: no value tagged '%s' under '%s'", prog, c.tag, path);
        if (c.n_other) {
            fprintf(stderr, "; tags:");
            for (int i = 0; i < c.n_other; i++) fprintf(stderr, "%s %s", i ? "," : "", c.other[i]);
            if (c.more_other) fprintf(stderr, ", ...");
        } else {
            fprintf(stderr, "; the event files hold no tagged values");
        }
        fprintf(stderr, "\n");
        rc = 1;
    }
    for (int i = 0; i < c.n_other; i++) free(c.other[i]);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: writing the output failed: %s\n", prog, strerror(errno));
        rc = 1;
    }
    return rc;
}

/*** nabla graph: finding the graph ***/

typedef struct graph_find {
    /* the last graph event per run, in reading order */
    char **runs;
    void **bytes;
    size_t *lens;
    int n;
} graph_find;

static void on_graph_event(void *ctx, const char *run, const char *file, const nb_event *ev) {
    (void)file;
    graph_find *gf = ctx;
    if (nb_event_get_kind(ev) != NB_EVENT_GRAPH) return;
    size_t len = 0;
    const void *b = nb_event_graph_def(ev, &len);
    int i = 0;
    while (i < gf->n && strcmp(gf->runs[i], run)) i++;
    if (i == gf->n) {
        gf->runs = xrealloc(gf->runs, (size_t)(gf->n + 1) * sizeof *gf->runs);
        gf->bytes = xrealloc(gf->bytes, (size_t)(gf->n + 1) * sizeof *gf->bytes);
        gf->lens = xrealloc(gf->lens, (size_t)(gf->n + 1) * sizeof *gf->lens);
        gf->runs[i] = xstrdup(run);
        gf->bytes[i] = NULL;
        gf->n++;
    }
    free(gf->bytes[i]);
    gf->bytes[i] = memcpy(xmalloc(len), b, len);
    gf->lens[i] = len;
}

static void graph_find_free(graph_find *gf) {
    for (int i = 0; i < gf->n; i++) {
        free(gf->runs[i]);
        free(gf->bytes[i]);
    }
    free(gf->runs);
    free(gf->bytes);
    free(gf->lens);
}

/*** nabla graph: GraphDef to Graphviz ***/

typedef struct gnode {
    const Tensorflow__NodeDef *def;
    Agnode_t *n;
    int group; /* index of the collapsed scope it is drawn as, or -1 */
} gnode;

static int cmp_gnode(const void *a, const void *b) {
    return strcmp(((const gnode *)a)->def->name, ((const gnode *)b)->def->name);
}

static gnode *find_node(gnode *nodes, size_t n, const char *name, size_t name_len) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *m = nodes[mid].def->name;
        int c = strncmp(m, name, name_len);
        if (c == 0 && m[name_len]) c = 1;
        if (c < 0) lo = mid + 1;
        else if (c > 0) hi = mid;
        else return &nodes[mid];
    }
    return NULL;
}

static const Tensorflow__AttrValue *find_attr(const Tensorflow__NodeDef *n, const char *key) {
    for (size_t i = 0; i < n->n_attr; i++)
        if (n->attr[i]->key && !strcmp(n->attr[i]->key, key)) return n->attr[i]->value;
    return NULL;
}

/* "?x3", "scalar", "?" (unknown rank), as TensorBoard labels edges. */
static void shape_label(const Tensorflow__TensorShapeProto *s, char *buf, size_t n) {
    if (!s || s->unknown_rank) {
        snprintf(buf, n, "?");
        return;
    }
    if (s->n_dim == 0) {
        snprintf(buf, n, "scalar");
        return;
    }
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < s->n_dim && k + 24 < n; i++) {
        int64_t d = s->dim[i]->size;
        int w = d < 0 ? snprintf(buf + k, n - k, "%s?", i ? "x" : "")
                      : snprintf(buf + k, n - k, "%s%lld", i ? "x" : "", (long long)d);
        if (w > 0) k += (size_t)w;
    }
}

static void html_escape(sbuf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': sb_puts(b, "&amp;"); break;
        case '<': sb_puts(b, "&lt;"); break;
        case '>': sb_puts(b, "&gt;"); break;
        case '"': sb_puts(b, "&quot;"); break;
        default: sb_add(b, s, 1); break;
        }
    }
}

/* Name-scope clusters, created on demand: "a/b" lives inside "a". */
typedef struct scope_tab {
    char **names;
    Agraph_t **graphs;
    int n, cap;
} scope_tab;

static const char *const scope_fill[] = {"#f3f5f9", "#e6ebf3", "#d9e1ee", "#ccd7e8"};

static Agraph_t *scope_cluster(Agraph_t *root, scope_tab *t, const char *path, size_t len) {
    if (len == 0) return root;
    for (int i = 0; i < t->n; i++)
        if (strlen(t->names[i]) == len && !strncmp(t->names[i], path, len)) return t->graphs[i];
    size_t cut = len;
    while (cut > 0 && path[cut - 1] != '/') cut--;
    Agraph_t *parent = scope_cluster(root, t, path, cut ? cut - 1 : 0);
    int depth = 0;
    for (size_t i = 0; i < len; i++) depth += path[i] == '/';
    sbuf name = {0};
    sb_puts(&name, "cluster_");
    sb_add(&name, path, len);
    Agraph_t *sg = agsubg(parent, name.p, 1);
    free(name.p);
    if (!sg) return parent;
    char *label = xmalloc(len - cut + 1);
    memcpy(label, path + cut, len - cut);
    label[len - cut] = 0;
    agsafeset(sg, S("label"), label, S(""));
    free(label);
    agsafeset(sg, S("style"), S("rounded,filled"), S(""));
    agsafeset(sg, S("fillcolor"), S(scope_fill[depth % 4]), S(""));
    agsafeset(sg, S("color"), S("#8a94a6"), S(""));
    agsafeset(sg, S("fontname"), S("Helvetica-Bold"), S(""));
    agsafeset(sg, S("fontsize"), S("11"), S(""));
    agsafeset(sg, S("labeljust"), S("l"), S(""));
    agsafeset(sg, S("labelloc"), S("b"), S("")); /* "b" is the top when rankdir=BT */
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->names = xrealloc(t->names, (size_t)t->cap * sizeof *t->names);
        t->graphs = xrealloc(t->graphs, (size_t)t->cap * sizeof *t->graphs);
    }
    t->names[t->n] = xmalloc(len + 1);
    memcpy(t->names[t->n], path, len);
    t->names[t->n][len] = 0;
    t->graphs[t->n++] = sg;
    return sg;
}

/* True when some node's name starts with "name/": the node is also a scope
 * (a Variable and its "Variable/read"), and TensorBoard draws it inside it. */
static bool is_scope(const gnode *nodes, size_t n, const char *name) {
    size_t len = strlen(name);
    char *prefix = xmalloc(len + 2);
    memcpy(prefix, name, len);
    memcpy(prefix + len, "/", 2);
    /* nodes are sorted by name: the first one >= "name/" starts with it if any does */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(nodes[mid].def->name, prefix) < 0) lo = mid + 1;
        else hi = mid;
    }
    bool yes = lo < n && !strncmp(nodes[lo].def->name, prefix, len + 1);
    free(prefix);
    return yes;
}

static void style_node(Agnode_t *n, const char *op) {
    agsafeset(n, S("shape"), S("box"), S(""));
    agsafeset(n, S("style"), S("rounded,filled"), S(""));
    agsafeset(n, S("fontname"), S("Helvetica"), S(""));
    agsafeset(n, S("margin"), S("0.08,0.03"), S(""));
    agsafeset(n, S("height"), S("0.3"), S(""));
    const char *fill = "#ffffff", *color = "#5b6577";
    if (!strcmp(op, "Const")) {
        fill = "#e4e4e4";
        color = "#b0b0b0";
        agsafeset(n, S("fontsize"), S("7"), S(""));
        agsafeset(n, S("fontcolor"), S("#606060"), S(""));
        agsafeset(n, S("height"), S("0.15"), S(""));
        agsafeset(n, S("margin"), S("0.04,0.01"), S(""));
    } else if (!strcmp(op, "Placeholder") || !strcmp(op, "PlaceholderWithDefault")) {
        fill = "#fde9c9";
        color = "#c98a1b";
    } else if (!strncmp(op, "Variable", 8) || !strcmp(op, "VarHandleOp")) {
        fill = "#d4e9d4";
        color = "#4a8a4a";
    } else if (!strcmp(op, "NoOp")) {
        fill = "#f7f7f7";
    } else if (strstr(op, "Summary")) {
        fill = "#eadcf2";
        color = "#8a5aa6";
    }
    agsafeset(n, S("fillcolor"), S(fill), S(""));
    agsafeset(n, S("color"), S(color), S(""));
}

/* Collapsed scopes (--depth): one box per scope below the depth. */
typedef struct group_tab {
    char **names;
    int *counts;
    int n, cap;
} group_tab;

static int group_index(group_tab *t, const char *path, size_t len) {
    for (int i = 0; i < t->n; i++)
        if (strlen(t->names[i]) == len && !strncmp(t->names[i], path, len)) return i;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->names = xrealloc(t->names, (size_t)t->cap * sizeof *t->names);
        t->counts = xrealloc(t->counts, (size_t)t->cap * sizeof *t->counts);
    }
    t->names[t->n] = xmalloc(len + 1);
    memcpy(t->names[t->n], path, len);
    t->names[t->n][len] = 0;
    t->counts[t->n] = 0;
    return t->n++;
}

/* Builds the Graphviz graph. depth >= 0 collapses every scope nested deeper
 * than depth into one box (depth 0: each top-level scope is one box). */
static Agraph_t *build_graph(const Tensorflow__GraphDef *gd, const char *title, int depth,
                             int *n_missing) {
    Agraph_t *g = agopen(S("nabla"), Agdirected, NULL);
    if (!g) return NULL;
    /* Graph-wide defaults; inputs at the bottom, as TensorBoard draws. */
    agsafeset(g, S("rankdir"), S("BT"), S(""));
    agsafeset(g, S("compound"), S("true"), S(""));
    agsafeset(g, S("newrank"), S("true"), S(""));
    agsafeset(g, S("nodesep"), S("0.2"), S(""));
    agsafeset(g, S("ranksep"), S("0.3"), S(""));
    agsafeset(g, S("fontname"), S("Helvetica"), S(""));
    agsafeset(g, S("bgcolor"), S("white"), S(""));
    agsafeset(g, S("label"), S(title), S(""));
    agsafeset(g, S("labelloc"), S("t"), S(""));
    agsafeset(g, S("fontsize"), S("12"), S(""));
    agattr(g, AGNODE, S("fontsize"), S("10"));
    agattr(g, AGEDGE, S("fontname"), S("Helvetica"));
    agattr(g, AGEDGE, S("fontsize"), S("8"));
    agattr(g, AGEDGE, S("fontcolor"), S("#505050"));
    agattr(g, AGEDGE, S("color"), S("#707070"));
    agattr(g, AGEDGE, S("arrowsize"), S("0.6"));

    size_t n = gd->n_node;
    gnode *nodes = xmalloc(n * sizeof *nodes);
    for (size_t i = 0; i < n; i++) nodes[i].def = gd->node[i], nodes[i].n = NULL, nodes[i].group = -1;
    qsort(nodes, n, sizeof *nodes, cmp_gnode);

    scope_tab scopes = {0};
    group_tab groups = {0};
    sbuf label = {0};
    for (size_t i = 0; i < n; i++) {
        const char *name = nodes[i].def->name ? nodes[i].def->name : "";
        const char *op = nodes[i].def->op ? nodes[i].def->op : "";
        const char *slash = strrchr(name, '/');
        const char *shortname = slash ? slash + 1 : name;
        /* The scope the node is drawn in: its own name when it is also a scope. */
        size_t glen = is_scope(nodes, n, name) ? strlen(name) : slash ? (size_t)(slash - name) : 0;
        int d = glen ? 1 : 0;
        for (size_t k = 0; k < glen; k++) d += name[k] == '/';
        if (depth >= 0 && d > depth) {
            size_t plen = 0;
            for (int c = 0; plen < glen; plen++)
                if (name[plen] == '/' && ++c == depth + 1) break;
            nodes[i].group = group_index(&groups, name, plen);
            groups.counts[nodes[i].group]++;
            continue;
        }
        Agraph_t *home = scope_cluster(g, &scopes, name, glen);
        Agnode_t *an = agnode(home, S(name), 1);
        nodes[i].n = an;
        if (!an) continue;
        style_node(an, op);
        label.n = 0;
        sb_puts(&label, "");
        html_escape(&label, shortname);
        if (strcmp(op, "Const")) {
            sb_puts(&label, "<BR/><FONT POINT-SIZE=\"8\" COLOR=\"#505a6b\"><I>");
            html_escape(&label, op);
            sb_puts(&label, "</I></FONT>");
        }
        char *html = agstrdup_html(g, label.p);
        agsafeset(an, S("label"), html, S(""));
        agstrfree(g, html);
        char tip[600];
        snprintf(tip, sizeof tip, "%s (%s)", name, op);
        agsafeset(an, S("tooltip"), tip, S(""));
    }
    /* Collapsed scopes: a 3-D box with the scope's name and its node count. */
    Agnode_t **group_nodes = xmalloc((size_t)(groups.n ? groups.n : 1) * sizeof *group_nodes);
    for (int i = 0; i < groups.n; i++) {
        const char *p = groups.names[i], *slash = strrchr(p, '/');
        Agraph_t *home = scope_cluster(g, &scopes, p, slash ? (size_t)(slash - p) : 0);
        Agnode_t *an = group_nodes[i] = agnode(home, S(p), 1);
        if (!an) continue;
        agsafeset(an, S("shape"), S("box3d"), S(""));
        agsafeset(an, S("style"), S("filled"), S(""));
        agsafeset(an, S("fillcolor"), S("#dfe6f2"), S(""));
        agsafeset(an, S("color"), S("#5b6577"), S(""));
        agsafeset(an, S("fontname"), S("Helvetica"), S(""));
        label.n = 0;
        sb_puts(&label, "<B>");
        html_escape(&label, slash ? slash + 1 : p);
        sb_printf(&label, "</B><BR/><FONT POINT-SIZE=\"8\" COLOR=\"#505a6b\">%d nodes</FONT>",
                  groups.counts[i]);
        char *html = agstrdup_html(g, label.p);
        agsafeset(an, S("label"), html, S(""));
        agstrfree(g, html);
    }
    for (size_t i = 0; i < n; i++)
        if (nodes[i].group >= 0) nodes[i].n = group_nodes[nodes[i].group];
    for (int i = 0; i < groups.n; i++) free(groups.names[i]);
    free(groups.names);
    free(groups.counts);
    free(group_nodes);
    free(label.p);

    /* Edges: "src", "src:k" carry data (labelled with src's k-th output shape);
     * "^src" is a control dependency (dashed). */
    int missing = 0;
    for (size_t i = 0; i < n; i++) {
        const Tensorflow__NodeDef *d = nodes[i].def;
        if (!nodes[i].n) continue;
        for (size_t k = 0; k < d->n_input; k++) {
            const char *in = d->input[k];
            bool control = in[0] == '^';
            if (control) in++;
            const char *colon = strrchr(in, ':');
            size_t nlen = colon ? (size_t)(colon - in) : strlen(in);
            long out_index = colon ? strtol(colon + 1, NULL, 10) : 0;
            gnode *src = find_node(nodes, n, in, nlen);
            if (!src || !src->n) {
                missing++;
                continue;
            }
            if (src->n == nodes[i].n) continue; /* inside one collapsed scope */
            Agedge_t *e = agedge(g, src->n, nodes[i].n, NULL, 0);
            if (e) { /* collapsed scopes: one edge per pair, solid when any carries data */
                if (control || strcmp(agget(e, S("style")) ? agget(e, S("style")) : "", "dashed")) continue;
                agsafeset(e, S("style"), S("solid"), S(""));
                agsafeset(e, S("color"), S("#707070"), S(""));
            } else {
                e = agedge(g, src->n, nodes[i].n, NULL, 1);
            }
            if (!e) continue;
            if (control) {
                agsafeset(e, S("style"), S("dashed"), S(""));
                agsafeset(e, S("color"), S("#a0a0a0"), S(""));
                continue;
            }
            const Tensorflow__AttrValue *shapes = find_attr(src->def, "_output_shapes");
            if (shapes && shapes->value_case == TENSORFLOW__ATTR_VALUE__VALUE_LIST && shapes->list &&
                out_index >= 0 && (size_t)out_index < shapes->list->n_shape) {
                char buf[128];
                shape_label(shapes->list->shape[out_index], buf, sizeof buf);
                agsafeset(e, S("label"), buf, S(""));
            }
        }
    }
    for (int i = 0; i < scopes.n; i++) free(scopes.names[i]);
    free(scopes.names);
    free(scopes.graphs);
    free(nodes);
    *n_missing = missing;
    return g;
}

/*** nabla graph: writing the file ***/

static int write_atomic(GVC_t *gvc, Agraph_t *g, const char *out, const char *format) {
    size_t n = strlen(out);
    char *tmp = xmalloc(n + 16);
    snprintf(tmp, n + 16, "%s.tmpXXXXXX", out);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot create '%s': %s\n", prog, tmp, strerror(errno));
        free(tmp);
        return 1;
    }
    /* mkstemp makes the file 0600; give it the usual umask-based mode. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        /* not fatal: the picture is still written, readable by its owner */
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        fprintf(stderr, "%s: cannot write '%s': %s\n", prog, tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return 1;
    }
    int bad = 0;
    if (!strcmp(format, "dot")) {
        bad = agwrite(g, f) != 0;
        if (bad) fprintf(stderr, "%s: Graphviz could not write the dot text\n", prog);
    } else {
        bad = gvRender(gvc, g, format, f) != 0;
        if (bad)
            fprintf(stderr, "%s: Graphviz cannot render %s here (is its %s plugin installed? `dot -T%s` "
                            "lists the formats)\n", prog, format, format, format);
    }
    if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
        if (!bad) fprintf(stderr, "%s: writing '%s' failed: %s\n", prog, tmp, strerror(errno));
        bad = 1;
    }
    if (fclose(f) != 0 && !bad) {
        fprintf(stderr, "%s: writing '%s' failed: %s\n", prog, tmp, strerror(errno));
        bad = 1;
    }
    if (!bad && rename(tmp, out) != 0) {
        fprintf(stderr, "%s: cannot rename '%s' to '%s': %s\n", prog, tmp, out, strerror(errno));
        bad = 1;
    }
    if (bad) unlink(tmp);
    free(tmp);
    return bad;
}

static const char *output_format(const char *out) {
    const char *dot = strrchr(out, '.');
    const char *slash = strrchr(out, '/');
    if (!dot || (slash && dot < slash)) return NULL;
    char ext[8];
    size_t k = 0;
    for (const char *p = dot + 1; *p && k < sizeof ext - 1; p++) ext[k++] = (char)tolower((unsigned char)*p);
    ext[k] = 0;
    if (strlen(dot + 1) >= sizeof ext) return NULL;
    if (!strcmp(ext, "svg")) return "svg";
    if (!strcmp(ext, "png")) return "png";
    if (!strcmp(ext, "dot") || !strcmp(ext, "gv")) return "dot";
    return NULL;
}

static int cmd_graph(int argc, char **argv) {
    const char *path = NULL, *out = NULL, *run = NULL;
    int depth = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--run") || !strcmp(a, "--depth")) {
            if (i + 1 >= argc) return usage_error("%s needs a value", a);
            if (!strcmp(a, "--run")) run = argv[++i];
            else if (!strcmp(a, "--depth")) {
                char *end;
                long v = strtol(argv[++i], &end, 10);
                if (*end || end == argv[i] || v < 0 || v > 1000)
                    return usage_error("--depth needs a number >= 0, got '%s'", argv[i]);
                depth = (int)v;
            } else out = argv[++i];
        } else if (!strncmp(a, "--output=", 9)) {
            out = a + 9;
        } else if (!strncmp(a, "--run=", 6)) {
            run = a + 6;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("graph: unknown option '%s'", a);
        } else if (path) {
            return usage_error("graph: one LOGDIR or FILE, got a second: '%s'", a);
        } else {
            path = a;
        }
    }
    if (!path) return usage_error("%s", "graph: missing LOGDIR or FILE");
    if (!out) return usage_error("%s", "graph: missing -o OUT.svg|OUT.png|OUT.dot");
    const char *format = output_format(out);
    if (!format) {
        fprintf(stderr, "%s: cannot tell the format of '%s': name it .svg, .png or .dot\n", prog, out);
        return 1;
    }

    graph_find gf = {0};
    int read_rc = for_each_event(path, run, on_graph_event, &gf, NULL);
    if (gf.n == 0) {
        fprintf(stderr, "%s: no graph in the event files under '%s'%s%s%s (write one with "
                        "nb_summary_writer_open(logdir, graph, ...))\n",
                prog, path, run ? " (run '" : "", run ? run : "", run ? "')" : "");
        graph_find_free(&gf);
        return 1;
    }
    if (gf.n > 1) {
        fprintf(stderr, "%s: graphs in %d runs under '%s'; choose one with --run:", prog, gf.n, path);
        for (int i = 0; i < gf.n; i++) fprintf(stderr, " %s", gf.runs[i]);
        fprintf(stderr, "\n");
        graph_find_free(&gf);
        return 1;
    }
    if (read_rc)
        fprintf(stderr, "%s: warning: drawing the last graph read before the error above\n", prog);
    Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(NULL, gf.lens[0], gf.bytes[0]);
    if (!gd) {
        fprintf(stderr, "%s: the graph of run '%s' under '%s' is not a valid GraphDef (%zu bytes)\n", prog,
                gf.runs[0], path, gf.lens[0]);
        graph_find_free(&gf);
        return 1;
    }
    char title[1024];
    snprintf(title, sizeof title, "%s%s%s (%zu nodes)", path, strcmp(gf.runs[0], ".") ? " : " : "",
             strcmp(gf.runs[0], ".") ? gf.runs[0] : "", gd->n_node);
    int missing = 0;
    GVC_t *gvc = gvContext();
    Agraph_t *g = gvc ? build_graph(gd, title, depth, &missing) : NULL;
    int rc = 1;
    if (!g) {
        fprintf(stderr, "%s: Graphviz could not start (out of memory?)\n", prog);
    } else {
        if (missing)
            fprintf(stderr, "%s: warning: %d inputs name nodes missing from the graph; their edges are "
                            "left out\n", prog, missing);
        bool layout = strcmp(format, "dot") != 0;
        if (layout && gvLayout(gvc, g, "dot") != 0) {
            fprintf(stderr, "%s: Graphviz's dot layout failed\n", prog);
        } else {
            rc = write_atomic(gvc, g, out, format);
            if (layout) gvFreeLayout(gvc, g);
        }
        agclose(g);
    }
    if (gvc) gvFreeContext(gvc);
    tensorflow__graph_def__free_unpacked(gd, NULL);
    graph_find_free(&gf);
    return rc;
}

/*** plot ***/

typedef struct series {
    char *run;
    double *step, *value;
    size_t n, cap;
} series;

typedef struct plot_ctx {
    const char *tag;
    series *s;
    size_t n, cap;
} plot_ctx;

static void on_plot_event(void *ctx, const char *run, const char *file, const nb_event *ev) {
    (void)file;
    plot_ctx *c = ctx;
    if (nb_event_get_kind(ev) != NB_EVENT_SUMMARY) return;
    for (int i = 0; i < nb_event_num_values(ev); i++) {
        if (strcmp(nb_event_value_tag(ev, i), c->tag) || nb_event_value_kind(ev, i) != NB_VALUE_SCALAR)
            continue;
        size_t k = 0;
        while (k < c->n && strcmp(c->s[k].run, run)) k++;
        if (k == c->n) {
            if (c->n == c->cap) {
                c->cap = c->cap ? 2 * c->cap : 8;
                c->s = xrealloc(c->s, c->cap * sizeof *c->s);
            }
            c->s[c->n++] = (series){xstrdup(run), NULL, NULL, 0, 0};
        }
        series *se = &c->s[k];
        if (se->n == se->cap) {
            se->cap = se->cap ? 2 * se->cap : 64;
            se->step = xrealloc(se->step, se->cap * sizeof *se->step);
            se->value = xrealloc(se->value, se->cap * sizeof *se->value);
        }
        se->step[se->n] = (double)nb_event_step(ev);
        se->value[se->n++] = nb_event_value_scalar(ev, i);
    }
}

static int cmd_plot(int argc, char **argv) {
    const char *path = NULL, *tag = NULL, *out = NULL, *title = NULL;
    bool log_y = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--tag") || !strcmp(a, "-o") || !strcmp(a, "--title")) {
            if (i + 1 >= argc) return usage_error("plot: %s needs a value", a);
            if (!strcmp(a, "--tag")) tag = argv[++i];
            else if (!strcmp(a, "-o")) out = argv[++i];
            else title = argv[++i];
        } else if (!strncmp(a, "--tag=", 6)) tag = a + 6;
        else if (!strncmp(a, "--title=", 8)) title = a + 8;
        else if (!strcmp(argv[i], "--log-y")) log_y = true;
        else if (argv[i][0] == '-') return usage_error("plot: unknown option '%s'", argv[i]);
        else if (!path) path = argv[i];
        else return usage_error("plot: more than one LOGDIR ('%s')", argv[i]);
    }
    if (!path || !tag || !out) return usage_error("plot needs LOGDIR, --tag TAG and -o OUT.png|OUT.svg");
    plot_ctx c = {tag, NULL, 0, 0};
    int rc = for_each_event(path, NULL, on_plot_event, &c, NULL);
    if (c.n == 0) {
        fprintf(stderr, "%s: no scalar tagged '%s' under '%s'\n", prog, tag, path);
        return 1;
    }
    nb_figure *fig = nb_figure_new(800, 500);
    nb_figure_title(fig, title ? title : tag);
    nb_figure_xlabel(fig, "step");
    nb_figure_ylabel(fig, tag);
    nb_figure_grid(fig, true);
    if (log_y) nb_figure_log_y(fig, true);
    for (size_t k = 0; k < c.n; k++) {
        int64_t n = (int64_t)c.s[k].n;
        nb_tensor *x = nb_tensor_new(NB_FLOAT64, 1, &n, c.s[k].step);
        nb_tensor *y = nb_tensor_new(NB_FLOAT64, 1, &n, c.s[k].value);
        nb_figure_line(fig, x, y, c.s[k].run, NB_COLOR_AUTO);
        nb_tensor_unref(x);
        nb_tensor_unref(y);
        free(c.s[k].run);
        free(c.s[k].step);
        free(c.s[k].value);
    }
    free(c.s);
    nb_error err;
    if (nb_figure_save(fig, out, &err) != NB_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.message);
        rc = 1;
    } else {
        printf("%s: %zu run%s of '%s'\n", out, c.n, c.n == 1 ? "" : "s", tag);
    }
    nb_figure_free(fig);
    return rc;
}

/*** main ***/

int nb_board_main(int argc, char **argv); /* `nabla board`: tools/board/board.c */

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("nabla %s\n", nb_version());
        return 0;
    }
    if (!strcmp(cmd, "events")) return cmd_events(argc - 2, argv + 2);
    if (!strcmp(cmd, "graph")) return cmd_graph(argc - 2, argv + 2);
    if (!strcmp(cmd, "plot")) return cmd_plot(argc - 2, argv + 2);
    if (!strcmp(cmd, "board")) return nb_board_main(argc - 1, argv + 1); /* tools/board/ */
    if (cmd[0] == '-') return usage_error("unknown option '%s'", cmd);
    return usage_error("unknown command '%s' (commands: events, graph, plot, board)", cmd);
}
