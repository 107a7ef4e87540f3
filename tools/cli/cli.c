/*
 * cli.c — the helpers every `nabla` subcommand uses (declared in cli.h).
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *prog = "nabla";

void die_oom(void) {
    fprintf(stderr, "%s: out of memory\n", prog);
    exit(1);
}

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die_oom();
    return p;
}

void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) die_oom();
    return p;
}

char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

int usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nRun 'nabla --help' for usage.\n");
    va_end(ap);
    return 2;
}

/* See cli.h. */
int for_each_event(const char *path, const char *run_filter, event_fn fn, void *ctx,
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
