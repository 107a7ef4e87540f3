/*
 * board_int.h — the pieces of `nabla board` (tools/board/): the index of a
 * logdir (board_index.c), the JSON helpers and the HTTP server (board.c).
 */
#ifndef NABLA_BOARD_INT_H
#define NABLA_BOARD_INT_H

#include <nabla.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* A growable string. Every function keeps p NUL-terminated; oom set on failure. */
typedef struct bd_buf {
    char *p;
    size_t n, cap;
    int oom;
} bd_buf;
void bd_add(bd_buf *b, const void *s, size_t n);
void bd_puts(bd_buf *b, const char *s);
void bd_printf(bd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal (quotes included); bytes that are not UTF-8 become U+FFFD. */
void bd_json_str(bd_buf *b, const char *s);
void bd_json_strn(bd_buf *b, const char *s, size_t n);
/* A JSON number, or null for NaN and the infinities (JSON has neither). */
void bd_json_num(bd_buf *b, double v);

/* A bounded, evenly thinned sequence: the items kept are those whose index
 * (counting every item ever added) is a multiple of stride, at most limit of
 * them, plus the latest item ("tail") when it is not one of those. When the
 * limit is reached every second kept item is dropped and stride doubles, so
 * the memory is bounded and the kept items stay evenly spread over the run. */
typedef struct bd_thin {
    unsigned char *items; /* n items of esz bytes, then the tail at items + cap*esz */
    size_t esz, n, cap, limit;
    uint64_t seen, stride;
    int has_tail;
    void (*drop)(void *item); /* frees what an item owns, may be NULL */
} bd_thin;
/* Pointer to kept item i (i < n), or to the tail (i == n and has_tail). */
void *bd_thin_at(const bd_thin *t, size_t i);
size_t bd_thin_count(const bd_thin *t); /* n + has_tail */

typedef struct bd_scalar {
    int64_t step;
    double wall, value;
} bd_scalar;

typedef struct bd_hist {
    int64_t step;
    double wall, stats[5]; /* min, max, num, sum, sum_squares */
    int n;
    double *limits, *counts;
} bd_hist;

typedef struct bd_image {
    int64_t step;
    double wall;
    int width, height, channels;
    size_t len;
    unsigned char *bytes;
} bd_image;

typedef enum { BD_SCALARS = 0, BD_HISTOGRAMS = 1, BD_IMAGES = 2, BD_KINDS = 3 } bd_kind;

typedef struct bd_tag {
    char *name;
    bd_thin data;
} bd_tag;

typedef struct bd_file {
    char *path;
    nb_event_reader *r; /* open while it may grow, at most BD_MAX_OPEN readers */
    uint64_t offset;    /* of the next record to read */
    long long size;     /* file size when last read to its end */
    int at_end;
    char *error;        /* the reader's message for the record at offset, or NULL */
    uint64_t error_offset;
} bd_file;

typedef struct bd_run {
    char *name;
    bd_tag *tags[BD_KINDS];
    int ntags[BD_KINDS], captags[BD_KINDS];
    bd_file *files;
    int nfiles, capfiles;
    unsigned char *graph; /* the latest GraphDef read */
    size_t graph_len;
    int64_t graph_step;
    char *refused; /* why the run's files are not read (a symlink leaving the logdir), or NULL */
} bd_run;

typedef struct bd_index {
    char *logdir, *real_logdir;
    pthread_rwlock_t lock;
    bd_run **runs; /* sorted by name */
    int nruns, capruns;
    size_t limits[BD_KINDS]; /* items kept per tag */
    uint64_t version;        /* bumped on every change */
    int loading;             /* 1 until the first scan has read every file */
    int open_readers;
    long long points;        /* scalar points read, all runs */
    atomic_int stop;         /* set to end a scan early (shutdown) */
} bd_index;

int bd_index_init(bd_index *ix, const char *logdir, size_t max_scalars, size_t max_histograms,
                  size_t max_images);
void bd_index_free(bd_index *ix);
/* Reads what is new under the logdir (new runs, new files, grown files).
 * Takes the write lock in short pieces. Returns 1 when something changed. */
int bd_index_scan(bd_index *ix);
/* Lookups under the read lock (the caller holds it). */
bd_run *bd_index_run(const bd_index *ix, const char *name);
bd_tag *bd_run_tag(const bd_run *run, bd_kind kind, const char *name);

/* Board entry point (tools/nabla.c dispatches `nabla board ...` here);
 * argv[0] is "board". */
int nb_board_main(int argc, char **argv);

#endif
