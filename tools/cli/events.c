/*
 * events.c — `nabla events LOGDIR|FILE`: lists runs, tags, steps, wall times
 * and values (CSV or JSON), or a per-tag summary (--summary); every record's
 * CRCs are checked by the library reader.
 */
#include "cli.h"

#include "graph.pb-c.h"
#include "../../src/core/utf8.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cmd_events(int argc, char **argv) {
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
