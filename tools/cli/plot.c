/*
 * plot.c — `nabla plot LOGDIR|FILE --tag TAG -o OUT.png|OUT.svg`: every run's
 * curve of one scalar tag on one figure (the library's nb_figure_*).
 */
#include "cli.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cmd_plot(int argc, char **argv) {
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
