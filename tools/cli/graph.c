/*
 * graph.c — `nabla graph LOGDIR|FILE -o out.svg|png|dot`: draws the stored
 * GraphDef with Graphviz: one cluster per name scope, op types on nodes,
 * shapes on data edges, control edges dashed.
 *
 * The GraphDef bytes are decoded with the protobuf-c code generated from
 * proto/graph.proto. The drawing follows TensorBoard's graph view
 * (tensorboard/plugins/graph/tf_graph_common): name scopes as boxes, inputs at
 * the bottom, constants drawn small, "?x3" / "scalar" edge labels.
 */
#include "cli.h"

#include "graph.pb-c.h"
#include "../../src/core/utf8.h"
#include "io/atomic.h"

#include <gvc.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* s with every byte that starts no valid UTF-8 sequence replaced by U+FFFD
 * (as `nabla events` does), so the SVG is well-formed XML and the DOT file
 * UTF-8; NULL when s is valid as it is. malloc'd. */
static char *utf8_clean(const char *s) {
    size_t n = strlen(s), bad = 0;
    for (size_t i = 0; i < n;) {
        int k = nbi_utf8_len((const unsigned char *)s + i, n - i);
        if (k == 0) bad++, k = 1;
        i += (size_t)k;
    }
    if (bad == 0) return NULL;
    char *o = xmalloc(n + 2 * bad + 1), *q = o;
    for (size_t i = 0; i < n;) {
        int k = nbi_utf8_len((const unsigned char *)s + i, n - i);
        if (k == 0) {
            memcpy(q, "\xEF\xBF\xBD", 3);
            q += 3;
            i++;
        } else {
            memcpy(q, s + i, (size_t)k);
            q += k;
            i += (size_t)k;
        }
    }
    *q = 0;
    return o;
}

/* Cleans *p in place (protobuf-c's default allocator is malloc/free, so the
 * replacement is freed with the message); true when it changed. */
static bool clean_field(char **p) {
    char *c = *p ? utf8_clean(*p) : NULL;
    if (!c) return false;
    free(*p);
    *p = c;
    return true;
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

/* What the atomic write's fill callback renders. */
typedef struct render_job {
    GVC_t *gvc;
    Agraph_t *g;
    const char *format;
    bool graphviz_failed; /* its own message is printed already */
} render_job;

static bool render_into(FILE *f, void *ctx) {
    render_job *j = ctx;
    if (!strcmp(j->format, "dot")) {
        if (agwrite(j->g, f) != 0) {
            fprintf(stderr, "%s: Graphviz could not write the dot text\n", prog);
            j->graphviz_failed = true;
        }
    } else if (gvRender(j->gvc, j->g, j->format, f) != 0) {
        fprintf(stderr, "%s: Graphviz cannot render %s here (is its %s plugin installed? `dot -T%s` "
                        "lists the formats)\n", prog, j->format, j->format, j->format);
        j->graphviz_failed = true;
    }
    return !j->graphviz_failed;
}

/* The picture written through the library's atomic write (temporary file,
 * fsync, rename, directory fsync): readers see the old file or the new one. */
static int write_atomic(GVC_t *gvc, Agraph_t *g, const char *out, const char *format) {
    render_job j = {gvc, g, format, false};
    nb_error err = {0};
    if (nbi_write_atomic_with(out, render_into, &j, NB_ERR_IO, &err) == NB_OK) return 0;
    if (!j.graphviz_failed) fprintf(stderr, "%s: %s\n", prog, err.message);
    return 1;
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

int cmd_graph(int argc, char **argv) {
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
    /* names from another writer may not be UTF-8 (TF's own reader would refuse them) */
    int n_bad = 0;
    for (size_t i = 0; i < gd->n_node; i++) {
        Tensorflow__NodeDef *d = gd->node[i];
        bool bad = clean_field(&d->name);
        bad = clean_field(&d->op) || bad;
        for (size_t k = 0; k < d->n_input; k++) bad = clean_field(&d->input[k]) || bad;
        n_bad += bad;
    }
    if (n_bad)
        fprintf(stderr, "%s: warning: %d nodes have names, op types or inputs that are not valid UTF-8; "
                        "each invalid byte is drawn as U+FFFD\n", prog, n_bad);
    char title0[1024];
    snprintf(title0, sizeof title0, "%s%s%s (%zu nodes)", path, strcmp(gf.runs[0], ".") ? " : " : "",
             strcmp(gf.runs[0], ".") ? gf.runs[0] : "", gd->n_node);
    char *title_clean = utf8_clean(title0);
    const char *title = title_clean ? title_clean : title0;
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
    free(title_clean);
    return rc;
}
