/*
 * board_index.c — what `nabla board` knows about a logdir: runs (directories
 * holding event files, as nb_events_list_files names them), per run its
 * scalar, histogram and image tags with their points thinned to a bound
 * (bd_thin), the latest graph, and the read errors (file and byte offset).
 *
 * Files are read with nabla's reader (CRCs checked). A file is read again
 * from where it stopped when it grows, so a program writing into the logdir
 * shows up live. A record the reader refuses stops that file at that record
 * (the error is kept and shown; the rest of the run and the other runs go on)
 * and is retried when the file changes.
 */
#include "board_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { BD_MAX_OPEN = 256, BD_CHUNK = 2048 };

static char *dupstr(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

/*** bd_thin ***/

void *bd_thin_at(const bd_thin *t, size_t i) {
    if (i < t->n) return t->items + i * t->esz;
    return t->items + t->cap * t->esz; /* the tail */
}

size_t bd_thin_count(const bd_thin *t) { return t->n + (t->has_tail ? 1 : 0); }

static void thin_init(bd_thin *t, size_t esz, size_t limit, void (*drop)(void *)) {
    memset(t, 0, sizeof *t);
    t->esz = esz;
    t->limit = limit < 2 ? 2 : limit;
    t->stride = 1;
    t->drop = drop;
}

static void thin_free(bd_thin *t) {
    if (t->drop) {
        for (size_t i = 0; i < t->n; i++) t->drop(t->items + i * t->esz);
        if (t->has_tail) t->drop(t->items + t->cap * t->esz);
    }
    free(t->items);
    memset(t, 0, sizeof *t);
}

/* Adds item (moved in: the thin owns what it points to). Returns 0 when out of memory
 * (the item is dropped). */
static int thin_add(bd_thin *t, void *item) {
    uint64_t k = t->seen;
    if (k % t->stride != 0) { /* not kept for good: it is the latest so far */
        unsigned char *tail = t->items + t->cap * t->esz;
        if (t->has_tail && t->drop) t->drop(tail);
        memcpy(tail, item, t->esz);
        t->has_tail = 1;
        t->seen++;
        return 1;
    }
    if (t->n == t->limit) { /* thin: keep every second item, double the stride */
        size_t w = 0;
        for (size_t i = 0; i < t->n; i++) {
            unsigned char *it = t->items + i * t->esz;
            if (i % 2 == 0) memmove(t->items + w++ * t->esz, it, t->esz);
            else if (t->drop) t->drop(it);
        }
        t->n = w;
        t->stride *= 2;
        if (k % t->stride != 0) return thin_add(t, item);
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        if (cap > t->limit) cap = t->limit;
        unsigned char *p = malloc((cap + 1) * t->esz);
        if (!p) {
            if (t->drop) t->drop((void *)item);
            return 0;
        }
        if (t->items) {
            memcpy(p, t->items, t->n * t->esz);
            memcpy(p + cap * t->esz, t->items + t->cap * t->esz, t->esz);
        }
        free(t->items);
        t->items = p;
        t->cap = cap;
    }
    memcpy(t->items + t->n++ * t->esz, item, t->esz);
    if (t->has_tail) { /* the new item is later than the tail */
        if (t->drop) t->drop(t->items + t->cap * t->esz);
        t->has_tail = 0;
    }
    t->seen++;
    return 1;
}

static void drop_hist(void *p) {
    bd_hist *h = p;
    free(h->limits);
    free(h->counts);
}

static void drop_image(void *p) { free(((bd_image *)p)->bytes); }

/*** runs, tags, files ***/

static void run_free(bd_run *run) {
    if (!run) return;
    for (int k = 0; k < BD_KINDS; k++) {
        for (int i = 0; i < run->ntags[k]; i++) {
            free(run->tags[k][i].name);
            thin_free(&run->tags[k][i].data);
        }
        free(run->tags[k]);
    }
    for (int i = 0; i < run->nfiles; i++) {
        if (run->files[i].r) nb_event_reader_close(run->files[i].r);
        free(run->files[i].path);
        free(run->files[i].error);
    }
    free(run->files);
    free(run->graph);
    free(run->refused);
    free(run->name);
    free(run);
}

static int run_pos(const bd_index *ix, const char *name, int *found) {
    int lo = 0, hi = ix->nruns;
    while (lo < hi) {
        int mid = (lo + hi) / 2, c = strcmp(ix->runs[mid]->name, name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = 0;
    return lo;
}

bd_run *bd_index_run(const bd_index *ix, const char *name) {
    if (!name) return NULL;
    int found;
    int i = run_pos(ix, name, &found);
    return found ? ix->runs[i] : NULL;
}

static bd_run *run_get(bd_index *ix, const char *name) {
    int found;
    int i = run_pos(ix, name, &found);
    if (found) return ix->runs[i];
    if (ix->nruns == ix->capruns) {
        int cap = ix->capruns ? 2 * ix->capruns : 64;
        bd_run **p = realloc(ix->runs, (size_t)cap * sizeof *p);
        if (!p) return NULL;
        ix->runs = p;
        ix->capruns = cap;
    }
    bd_run *run = calloc(1, sizeof *run);
    if (!run || !(run->name = dupstr(name))) {
        free(run);
        return NULL;
    }
    memmove(ix->runs + i + 1, ix->runs + i, (size_t)(ix->nruns - i) * sizeof *ix->runs);
    ix->runs[i] = run;
    ix->nruns++;
    ix->version++;
    return run;
}

bd_tag *bd_run_tag(const bd_run *run, bd_kind kind, const char *name) {
    if (!run || !name) return NULL;
    for (int i = 0; i < run->ntags[kind]; i++)
        if (!strcmp(run->tags[kind][i].name, name)) return &run->tags[kind][i];
    return NULL;
}

static bd_tag *tag_get(bd_index *ix, bd_run *run, bd_kind kind, const char *name) {
    bd_tag *t = bd_run_tag(run, kind, name);
    if (t) return t;
    if (run->ntags[kind] == run->captags[kind]) {
        int cap = run->captags[kind] ? 2 * run->captags[kind] : 4;
        bd_tag *p = realloc(run->tags[kind], (size_t)cap * sizeof *p);
        if (!p) return NULL;
        run->tags[kind] = p;
        run->captags[kind] = cap;
    }
    t = &run->tags[kind][run->ntags[kind]];
    if (!(t->name = dupstr(name))) return NULL;
    static const size_t esz[BD_KINDS] = {sizeof(bd_scalar), sizeof(bd_hist), sizeof(bd_image)};
    static void (*const drop[BD_KINDS])(void *) = {NULL, drop_hist, drop_image};
    thin_init(&t->data, esz[kind], ix->limits[kind], drop[kind]);
    run->ntags[kind]++;
    ix->version++;
    return t;
}

static bd_file *file_get(bd_run *run, const char *path) {
    for (int i = 0; i < run->nfiles; i++)
        if (!strcmp(run->files[i].path, path)) return &run->files[i];
    if (run->nfiles == run->capfiles) {
        int cap = run->capfiles ? 2 * run->capfiles : 2;
        bd_file *p = realloc(run->files, (size_t)cap * sizeof *p);
        if (!p) return NULL;
        run->files = p;
        run->capfiles = cap;
    }
    bd_file *f = &run->files[run->nfiles];
    memset(f, 0, sizeof *f);
    f->size = -1;
    if (!(f->path = dupstr(path))) return NULL;
    run->nfiles++;
    return f;
}

/*** reading ***/

static void add_value(bd_index *ix, bd_run *run, const nb_event *ev, int i) {
    const char *tagname = nb_event_value_tag(ev, i);
    if (!tagname) return;
    switch (nb_event_value_kind(ev, i)) {
    case NB_VALUE_SCALAR: {
        bd_tag *t = tag_get(ix, run, BD_SCALARS, tagname);
        bd_scalar s = {nb_event_step(ev), nb_event_wall_time(ev), nb_event_value_scalar(ev, i)};
        if (t) thin_add(&t->data, &s);
        ix->points++;
        break;
    }
    case NB_VALUE_HISTOGRAM: {
        bd_hist h = {.step = nb_event_step(ev), .wall = nb_event_wall_time(ev)};
        const double *lim, *cnt;
        int n = nb_event_value_histogram(ev, i, h.stats, &lim, &cnt);
        if (n < 0) return;
        bd_tag *t = tag_get(ix, run, BD_HISTOGRAMS, tagname);
        if (!t) return;
        h.n = n;
        h.limits = malloc((size_t)(n ? n : 1) * sizeof(double));
        h.counts = malloc((size_t)(n ? n : 1) * sizeof(double));
        if (!h.limits || !h.counts) {
            drop_hist(&h);
            return;
        }
        if (n) {
            memcpy(h.limits, lim, (size_t)n * sizeof(double));
            memcpy(h.counts, cnt, (size_t)n * sizeof(double));
        }
        thin_add(&t->data, &h);
        break;
    }
    case NB_VALUE_IMAGE: {
        bd_image im = {.step = nb_event_step(ev), .wall = nb_event_wall_time(ev)};
        const void *bytes = nb_event_value_image(ev, i, &im.len, &im.height, &im.width, &im.channels);
        if (!bytes) return;
        bd_tag *t = tag_get(ix, run, BD_IMAGES, tagname);
        if (!t || !(im.bytes = malloc(im.len ? im.len : 1))) return;
        memcpy(im.bytes, bytes, im.len);
        thin_add(&t->data, &im);
        break;
    }
    default: break;
    }
}

static void set_error(bd_file *f, const char *msg, uint64_t at) {
    if (f->error && msg && !strcmp(f->error, msg)) return;
    free(f->error);
    f->error = msg ? dupstr(msg) : NULL;
    f->error_offset = at;
}

/* Reads up to BD_CHUNK records of f (the write lock held). Returns 1 when the
 * file has more to read now. */
static int read_chunk(bd_index *ix, bd_run *run, bd_file *f) {
    nb_error err;
    if (!f->r) {
        f->r = nb_event_reader_open(f->path, &err);
        if (!f->r) {
            set_error(f, err.message, f->offset);
            f->at_end = 1;
            ix->version++;
            return 0;
        }
        ix->open_readers++;
        /* skip what was read before the reader was closed */
        while (nb_event_reader_offset(f->r) < f->offset) {
            const nb_event *ev;
            if (nb_event_reader_next(f->r, &ev, &err) != NB_OK || !ev) {
                set_error(f, err.message, nb_event_reader_offset(f->r));
                f->at_end = 1;
                return 0;
            }
        }
    }
    for (int k = 0; k < BD_CHUNK; k++) {
        const nb_event *ev;
        if (nb_event_reader_next(f->r, &ev, &err) != NB_OK) {
            set_error(f, err.message, nb_event_reader_offset(f->r));
            f->at_end = 1;
            ix->version++;
            return 0;
        }
        if (!ev) {
            if (f->error) {
                set_error(f, NULL, 0);
                ix->version++;
            }
            f->at_end = 1;
            return 0;
        }
        if (f->error) set_error(f, NULL, 0);
        f->offset = nb_event_reader_offset(f->r);
        ix->version++;
        if (nb_event_get_kind(ev) == NB_EVENT_GRAPH) {
            size_t len = 0;
            const void *gd = nb_event_graph_def(ev, &len);
            unsigned char *copy = malloc(len ? len : 1);
            if (gd && copy) {
                memcpy(copy, gd, len);
                free(run->graph);
                run->graph = copy;
                run->graph_len = len;
                run->graph_step = nb_event_step(ev);
            } else {
                free(copy);
            }
        }
        int nv = nb_event_num_values(ev);
        for (int i = 0; i < nv; i++) add_value(ix, run, ev, i);
    }
    return 1;
}

/* Is path inside the logdir once every symlink is resolved? */
static int inside_logdir(const bd_index *ix, const char *path) {
    char *real = realpath(path, NULL);
    if (!real) return 0;
    size_t n = strlen(ix->real_logdir);
    int ok = !strncmp(real, ix->real_logdir, n) && (real[n] == '/' || real[n] == 0 ||
                                                    (n == 1 && ix->real_logdir[0] == '/'));
    free(real);
    return ok;
}

int bd_index_scan(bd_index *ix) {
    char **files = NULL, **runs = NULL;
    int n = 0, changed = 0;
    nb_error err;
    uint64_t before;
    pthread_rwlock_rdlock(&ix->lock);
    before = ix->version;
    pthread_rwlock_unlock(&ix->lock);
    if (nb_events_list_files(ix->logdir, &files, &runs, &n, &err) != NB_OK) n = 0;
    for (int i = 0; i < n && !ix->stop; i++) {
        struct stat st;
        int inside = inside_logdir(ix, files[i]);
        int have_stat = stat(files[i], &st) == 0;
        pthread_rwlock_wrlock(&ix->lock);
        bd_run *run = run_get(ix, runs[i]);
        if (!run) {
            pthread_rwlock_unlock(&ix->lock);
            continue;
        }
        if (!inside) {
            if (!run->refused) {
                char msg[512];
                snprintf(msg, sizeof msg, "not read: '%s' leaves the logdir (a symbolic link)", files[i]);
                run->refused = dupstr(msg);
                ix->version++;
            }
            pthread_rwlock_unlock(&ix->lock);
            continue;
        }
        bd_file *f = file_get(run, files[i]);
        if (!f || !have_stat) {
            pthread_rwlock_unlock(&ix->lock);
            continue;
        }
        if (f->at_end && (long long)st.st_size == f->size) {
            pthread_rwlock_unlock(&ix->lock);
            continue;
        }
        f->at_end = 0;
        while (!ix->stop && read_chunk(ix, run, f)) { /* let requests in between chunks */
            pthread_rwlock_unlock(&ix->lock);
            pthread_rwlock_wrlock(&ix->lock);
        }
        f->size = (long long)st.st_size;
        if (f->r && ix->open_readers > BD_MAX_OPEN) {
            nb_event_reader_close(f->r);
            f->r = NULL;
            ix->open_readers--;
        }
        pthread_rwlock_unlock(&ix->lock);
    }
    nb_events_list_free(files, runs, n);
    pthread_rwlock_wrlock(&ix->lock);
    changed = ix->version != before;
    ix->loading = 0;
    pthread_rwlock_unlock(&ix->lock);
    return changed;
}

int bd_index_init(bd_index *ix, const char *logdir, size_t max_scalars, size_t max_histograms,
                  size_t max_images) {
    memset(ix, 0, sizeof *ix);
    ix->logdir = dupstr(logdir);
    ix->real_logdir = realpath(logdir, NULL);
    if (!ix->logdir || !ix->real_logdir) {
        free(ix->logdir);
        free(ix->real_logdir);
        return -1;
    }
    ix->limits[BD_SCALARS] = max_scalars;
    ix->limits[BD_HISTOGRAMS] = max_histograms;
    ix->limits[BD_IMAGES] = max_images;
    ix->loading = 1;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* the scanner must not wait behind an endless stream of readers */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&ix->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    return 0;
}

void bd_index_free(bd_index *ix) {
    for (int i = 0; i < ix->nruns; i++) run_free(ix->runs[i]);
    free(ix->runs);
    free(ix->logdir);
    free(ix->real_logdir);
    pthread_rwlock_destroy(&ix->lock);
    memset(ix, 0, sizeof *ix);
}
