/*
 * images.c — an image-folder dataset (one sub-folder of JPEG/PNG files per
 * class, the Stanford Dogs layout; Keras' image_dataset_from_directory):
 * listing, decoding (image_decode.c: libpng, libjpeg-turbo, our BMP and
 * PGM/PPM readers), bilinear resizing, shuffled mini-batches.
 *
 * Everything is decoded once at open and kept as uint8 (a quarter of float32's
 * memory); batches are converted to float32 in [0, 1] on demand. Files are read
 * into memory by us (so an unreadable file gets the system's reason) and
 * decoded from memory; the format is told by the file's first bytes.
 *
 * Resizing is TensorFlow's resize_bilinear with half_pixel_centers=True: the
 * output pixel (y, x) samples the source at ((y + 0.5) * H / OH - 0.5, ...),
 * clamped to the image, interpolating the four neighbours.
 */
#include "nb_internal.h"
#include "image_decode.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Files larger than this are not images we want (and not read into memory). */
#define MAX_FILE_BYTES ((size_t)1 << 28)

struct nb_image_dataset {
    int height, width, channels;
    int n_classes;
    char **classes;
    int64_t n;          /* images loaded */
    uint8_t *pixels;    /* n * height * width * channels */
    int32_t *labels;
    char **paths;
    int n_skipped, cap_skipped;
    char **skipped;
    uint64_t seed;      /* batch iterator */
    int64_t epoch, pos;
    int64_t *perm;
    bool perm_ready;
};

/*** Listing ***/

typedef struct strlist {
    char **v;
    int n, cap;
} strlist;

static bool strlist_push(strlist *l, char *s) {
    if (!s) return false;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **v = nbi_realloc(l->v, nbi_mul_size((size_t)cap, sizeof *v));
        if (!v) {
            nbi_free(s);
            return false;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return true;
}

static void strlist_free(strlist *l) {
    for (int i = 0; i < l->n; i++) nbi_free(l->v[i]);
    nbi_free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_image_ext(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot) return false;
    char ext[8];
    size_t n = strlen(dot + 1);
    if (n == 0 || n >= sizeof ext) return false;
    for (size_t i = 0; i <= n; i++) ext[i] = (char)tolower((unsigned char)dot[1 + i]);
    return !strcmp(ext, "jpg") || !strcmp(ext, "jpeg") || !strcmp(ext, "png") || !strcmp(ext, "bmp") ||
           !strcmp(ext, "pgm") || !strcmp(ext, "ppm") || !strcmp(ext, "pnm");
}

/* Entries of dir that are directories (want_dirs) or image files, sorted.
 * Returns NB_OK or an error in err. */
static nb_status list_dir(const char *dir, bool want_dirs, strlist *out, nb_error *err) {
    DIR *d = opendir(dir);
    if (!d)
        return nbi_set_error(err, errno == ENOENT || errno == ENOTDIR ? NB_ERR_NOT_FOUND : NB_ERR_IO,
                             "cannot open directory %s: %s", dir, strerror(errno));
    struct dirent *e;
    nb_status st = NB_OK;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (!want_dirs && !has_image_ext(e->d_name)) continue;
        char *path = nbi_asprintf("%s/%s", dir, e->d_name);
        if (!path) {
            st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory listing %s", dir);
            break;
        }
        struct stat sb;
        bool keep = stat(path, &sb) == 0 && (want_dirs ? S_ISDIR(sb.st_mode) : S_ISREG(sb.st_mode));
        nbi_free(path);
        if (keep && !strlist_push(out, nbi_strdup(e->d_name))) {
            st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory listing %s", dir);
            break;
        }
    }
    closedir(d);
    if (st == NB_OK && out->n > 1) qsort(out->v, (size_t)out->n, sizeof *out->v, cmp_str);
    return st;
}

/*** Decoding and resizing ***/

/* Reads a whole file. Returns the bytes (nbi_free) or NULL with *why set. */
static unsigned char *read_file(const char *path, size_t *len, char *why, size_t why_n) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_n, "%s", strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || sb.st_size < 0) {
        snprintf(why, why_n, "%s", strerror(errno));
        fclose(f);
        return NULL;
    }
    if ((uint64_t)sb.st_size > MAX_FILE_BYTES) {
        snprintf(why, why_n, "file too large (%lld bytes)", (long long)sb.st_size);
        fclose(f);
        return NULL;
    }
    if (sb.st_size == 0) {
        snprintf(why, why_n, "empty file");
        fclose(f);
        return NULL;
    }
    size_t n = (size_t)sb.st_size;
    unsigned char *buf = nbi_malloc(n);
    if (!buf) {
        snprintf(why, why_n, "out of memory");
        fclose(f);
        return NULL;
    }
    size_t got = fread(buf, 1, n, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || got != n) {
        snprintf(why, why_n, "read error");
        nbi_free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Bilinear resize of uint8 HWC, half-pixel centres, rounded to uint8. */
static void resize_bilinear(const uint8_t *src, int sh, int sw, int c, uint8_t *dst, int dh, int dw) {
    if (sh == dh && sw == dw) {
        memcpy(dst, src, (size_t)sh * (size_t)sw * (size_t)c);
        return;
    }
    double sy_scale = (double)sh / dh, sx_scale = (double)sw / dw;
    for (int y = 0; y < dh; y++) {
        double fy = (y + 0.5) * sy_scale - 0.5;
        if (fy < 0) fy = 0;
        int y0 = (int)fy;
        if (y0 > sh - 1) y0 = sh - 1;
        int y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
        double wy = fy - y0;
        if (wy > 1) wy = 1;
        const uint8_t *r0 = src + (size_t)y0 * (size_t)sw * (size_t)c;
        const uint8_t *r1 = src + (size_t)y1 * (size_t)sw * (size_t)c;
        uint8_t *out = dst + (size_t)y * (size_t)dw * (size_t)c;
        for (int x = 0; x < dw; x++) {
            double fx = (x + 0.5) * sx_scale - 0.5;
            if (fx < 0) fx = 0;
            int x0 = (int)fx;
            if (x0 > sw - 1) x0 = sw - 1;
            int x1 = x0 + 1 < sw ? x0 + 1 : sw - 1;
            double wx = fx - x0;
            if (wx > 1) wx = 1;
            for (int k = 0; k < c; k++) {
                double top = r0[x0 * c + k] + (r0[x1 * c + k] - r0[x0 * c + k]) * wx;
                double bot = r1[x0 * c + k] + (r1[x1 * c + k] - r1[x0 * c + k]) * wx;
                double v = top + (bot - top) * wy;
                v = v < 0 ? 0 : v > 255 ? 255 : v;
                out[x * c + k] = (uint8_t)lround(v);
            }
        }
    }
}

/* Decodes one file into dst (height*width*channels bytes). false with *why. */
static bool decode_resize(const char *path, int height, int width, int channels, uint8_t *dst,
                          char *why, size_t why_n) {
    size_t len = 0;
    unsigned char *bytes = read_file(path, &len, why, why_n);
    if (!bytes) return false;
    int w = 0, h = 0;
    uint8_t *img = NULL;
    nbi_image_result r = nbi_image_decode(bytes, len, channels, &img, &h, &w, why, why_n);
    nbi_free(bytes);
    if (r != NBI_IMAGE_OK) return false; /* why: "out of memory" for NBI_IMAGE_NOMEM */
    resize_bilinear(img, h, w, channels, dst, height, width);
    nbi_free(img);
    return true;
}

static bool load_image(const nb_image_dataset *ds, const char *path, uint8_t *dst, char *why,
                       size_t why_n) {
    return decode_resize(path, ds->height, ds->width, ds->channels, dst, why, why_n);
}

nb_tensor *nb_image_load(const char *path, int height, int width, int channels, nb_error *err) {
    if (!path || height < 1 || width < 1 || (channels != 1 && channels != 3) ||
        (int64_t)height * width > ((int64_t)1 << 26)) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "nb_image_load: needs a path, 1 or 3 channels and a size up to 2^26 pixels");
        return NULL;
    }
    size_t n = (size_t)height * (size_t)width * (size_t)channels;
    uint8_t *px = nbi_malloc(n);
    int64_t dims[3] = {height, width, channels};
    nb_tensor *t = px ? nbi_tensor_alloc(NB_FLOAT32, 3, dims) : NULL;
    if (!t) {
        nbi_free(px);
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
        return NULL;
    }
    char why[256];
    if (!decode_resize(path, height, width, channels, px, why, sizeof why)) {
        nbi_free(px);
        nb_tensor_unref(t);
        nbi_set_error(err, !strcmp(why, "out of memory") ? NB_ERR_OUT_OF_MEMORY : NB_ERR_IO, "%s: %s",
                      path, why);
        return NULL;
    }
    float *f = t->data;
    for (size_t i = 0; i < n; i++) f[i] = (float)px[i] / 255.0f; /* as nb_image_dataset_gather */
    nbi_free(px);
    return t;
}

static bool add_skipped(nb_image_dataset *ds, char *msg) {
    if (!msg) return false;
    if (ds->n_skipped == ds->cap_skipped) {
        int cap = ds->cap_skipped ? 2 * ds->cap_skipped : 8;
        char **v = nbi_realloc(ds->skipped, nbi_mul_size((size_t)cap, sizeof *v));
        if (!v) {
            nbi_free(msg);
            return false;
        }
        ds->skipped = v;
        ds->cap_skipped = cap;
    }
    ds->skipped[ds->n_skipped++] = msg;
    return true;
}

/*** Opening ***/

void nb_image_dataset_free(nb_image_dataset *ds) {
    if (!ds) return;
    for (int i = 0; i < ds->n_classes; i++) nbi_free(ds->classes[i]);
    nbi_free(ds->classes);
    for (int64_t i = 0; i < ds->n; i++) nbi_free(ds->paths[i]);
    nbi_free(ds->paths);
    for (int i = 0; i < ds->n_skipped; i++) nbi_free(ds->skipped[i]);
    nbi_free(ds->skipped);
    nbi_free(ds->pixels);
    nbi_free(ds->labels);
    nbi_free(ds->perm);
    nbi_free(ds);
}

/* nb_image_dataset_open (rows NULL, n_files NULL), nb_image_dataset_open_rows
 * (rows: the files to decode, by listing index) and nb_image_folder_labels
 * (listing: receives the listing's labels; nothing decoded, returns NULL). */
static nb_image_dataset *open_impl(const char *fn, const char *dir, int height, int width,
                                   int channels, unsigned flags, const int64_t *rows,
                                   int64_t n_rows, nb_tensor **listing, nb_error *err) {
    if (err) {
        err->code = NB_OK;
        err->message[0] = '\0';
    }
    if (!dir || !*dir) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: no directory given", fn);
        return NULL;
    }
    if (height <= 0 || width <= 0 || height > 1 << 15 || width > 1 << 15 || (channels != 1 && channels != 3)) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "%s: height and width must be in 1..32768 and channels 1 or 3, "
                      "got %dx%dx%d", fn, height, width, channels);
        return NULL;
    }
    /* "dir/" and "dir" name the same folder; keep paths free of "//". */
    char *root = nbi_strdup(dir);
    if (!root) {
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    for (size_t l = strlen(root); l > 1 && root[l - 1] == '/'; l--) root[l - 1] = '\0';

    nb_image_dataset *ds = nbi_calloc(1, sizeof *ds);
    strlist classes = {0}, files = {0};
    int32_t *file_label = NULL;
    int n_file_label = 0;
    if (!ds) {
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    ds->height = height;
    ds->width = width;
    ds->channels = channels;

    if (list_dir(root, true, &classes, err) != NB_OK) goto fail;
    if (classes.n == 0) {
        nbi_set_error(err, NB_ERR_NOT_FOUND, "%s has no class sub-folders (expected DIR/CLASS/IMAGE.jpg)", root);
        goto fail;
    }
    /* Every class's image files, as full paths, with their labels. */
    for (int c = 0; c < classes.n; c++) {
        char *cdir = nbi_asprintf("%s/%s", root, classes.v[c]);
        if (!cdir) {
            nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory");
            goto fail;
        }
        strlist names = {0};
        nb_status st = list_dir(cdir, false, &names, err);
        for (int i = 0; st == NB_OK && i < names.n; i++) {
            if (!strlist_push(&files, nbi_asprintf("%s/%s", cdir, names.v[i]))) {
                st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory");
                break;
            }
            if (files.n > n_file_label) {
                int cap = files.cap;
                int32_t *fl = nbi_realloc(file_label, nbi_mul_size((size_t)cap, sizeof *fl));
                if (!fl) {
                    st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory");
                    break;
                }
                file_label = fl;
                n_file_label = cap;
            }
            file_label[files.n - 1] = c;
        }
        strlist_free(&names);
        nbi_free(cdir);
        if (st != NB_OK) goto fail;
    }
    ds->n_classes = classes.n;
    ds->classes = classes.v;
    classes.v = NULL;
    classes.n = classes.cap = 0;

    if (listing) { /* nb_image_folder_labels */
        int64_t nl = files.n;
        *listing = nbi_tensor_alloc(NB_INT32, 1, &nl);
        if (!*listing) {
            nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory");
            goto fail;
        }
        if (nl) memcpy((*listing)->data, file_label, (size_t)nl * sizeof *file_label);
        goto done;
    }
    if (rows) {
        if (n_rows < 0) {
            nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: n_rows is %lld", fn, (long long)n_rows);
            goto fail;
        }
        for (int64_t i = 0; i < n_rows; i++)
            if (rows[i] < 0 || rows[i] >= files.n) {
                nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                              "%s: rows[%lld] is %lld, outside the %d image files of %s (0..%d)",
                              fn, (long long)i, (long long)rows[i], files.n, root, files.n - 1);
                goto fail;
            }
    }
    int64_t todo = rows ? n_rows : files.n;
    size_t per = (size_t)height * (size_t)width * (size_t)channels;
    size_t nf = todo > 0 ? (size_t)todo : 1;
    ds->pixels = nbi_malloc(nbi_mul_size(nf, per));
    ds->labels = nbi_malloc(nbi_mul_size(nf, sizeof *ds->labels));
    ds->paths = nbi_calloc(nf, sizeof *ds->paths);
    if (!ds->pixels || !ds->labels || !ds->paths) {
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory for %d images of %dx%dx%d", files.n,
                      height, width, channels);
        goto fail;
    }
    for (int64_t k = 0; k < todo; k++) {
        int64_t i = rows ? rows[k] : k;
        char why[256];
        if (load_image(ds, files.v[i], ds->pixels + (size_t)ds->n * per, why, sizeof why)) {
            ds->labels[ds->n] = file_label[i];
            if (rows) { /* a file may be asked for twice */
                ds->paths[ds->n] = nbi_strdup(files.v[i]);
                if (!ds->paths[ds->n]) {
                    nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory");
                    goto fail;
                }
                ds->n++;
            } else {
                ds->paths[ds->n++] = files.v[i];
                files.v[i] = NULL;
            }
            continue;
        }
        if (!strcmp(why, "out of memory")) {
            nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", files.v[i]);
            goto fail;
        }
        if (flags & NB_IMAGES_STRICT) {
            nbi_set_error(err, NB_ERR_IO, "%s: %s", files.v[i], why);
            goto fail;
        }
        if (flags & NB_IMAGES_PRINT_WARNINGS) fprintf(stderr, "warning: skipping %s: %s\n", files.v[i], why);
        if (!add_skipped(ds, nbi_asprintf("%s: %s", files.v[i], why))) {
            nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "out of memory");
            goto fail;
        }
    }
    if (ds->n == 0 && todo > 0) {
        nbi_set_error(err, NB_ERR_NOT_FOUND, "no readable image under %s (%d file%s skipped)", root,
                      ds->n_skipped, ds->n_skipped == 1 ? "" : "s");
        goto fail;
    }
    strlist_free(&files);
    nbi_free(file_label);
    nbi_free(root);
    return ds;
done:
    strlist_free(&files);
    nbi_free(file_label);
    nbi_free(root);
    nb_image_dataset_free(ds);
    return NULL;
fail:
    strlist_free(&classes);
    strlist_free(&files);
    nbi_free(file_label);
    nbi_free(root);
    nb_image_dataset_free(ds);
    return NULL;
}

nb_image_dataset *nb_image_dataset_open(const char *dir, int height, int width, int channels,
                                        unsigned flags, nb_error *err) {
    return open_impl("nb_image_dataset_open", dir, height, width, channels, flags, NULL, 0, NULL,
                     err);
}

nb_image_dataset *nb_image_dataset_open_rows(const char *dir, int height, int width, int channels,
                                             unsigned flags, const int64_t *rows, int64_t n_rows,
                                             nb_error *err) {
    if (!rows && n_rows != 0) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_image_dataset_open_rows: rows is NULL");
        return NULL;
    }
    static const int64_t none[1] = {0};
    return open_impl("nb_image_dataset_open_rows", dir, height, width, channels, flags,
                     rows ? rows : none, n_rows, NULL, err);
}

nb_tensor *nb_image_folder_labels(const char *dir, nb_error *err) {
    nb_tensor *labels = NULL;
    open_impl("nb_image_folder_labels", dir, 1, 1, 1, 0, NULL, 0, &labels, err);
    return labels;
}

/*** Accessors ***/

int64_t nb_image_dataset_size(const nb_image_dataset *ds) { return ds ? ds->n : 0; }
int nb_image_dataset_num_classes(const nb_image_dataset *ds) { return ds ? ds->n_classes : 0; }
const char *nb_image_dataset_class_name(const nb_image_dataset *ds, int i) {
    return ds && i >= 0 && i < ds->n_classes ? ds->classes[i] : NULL;
}
int nb_image_dataset_label(const nb_image_dataset *ds, int64_t i) {
    return ds && i >= 0 && i < ds->n ? ds->labels[i] : -1;
}
const char *nb_image_dataset_path(const nb_image_dataset *ds, int64_t i) {
    return ds && i >= 0 && i < ds->n ? ds->paths[i] : NULL;
}
int nb_image_dataset_num_skipped(const nb_image_dataset *ds) { return ds ? ds->n_skipped : 0; }
const char *nb_image_dataset_skipped(const nb_image_dataset *ds, int i) {
    return ds && i >= 0 && i < ds->n_skipped ? ds->skipped[i] : NULL;
}

/*** Tensors and batches ***/

nb_status nb_image_dataset_gather(const nb_image_dataset *ds, const int64_t *indices, int64_t n,
                                  nb_tensor **images, nb_tensor **labels) {
    if (images) *images = NULL;
    if (labels) *labels = NULL;
    if (!ds || n < 0 || (n > 0 && !indices)) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    for (int64_t i = 0; i < n; i++)
        if (indices[i] < 0 || indices[i] >= ds->n) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    nb_tensor *im = NULL, *lb = NULL;
    if (images) {
        int64_t dims[4] = {n, ds->height, ds->width, ds->channels};
        im = nbi_tensor_alloc(NB_FLOAT32, 4, dims);
        if (!im) return nbi_error(NB_ERR_OUT_OF_MEMORY);
        size_t per = (size_t)ds->height * (size_t)ds->width * (size_t)ds->channels;
        float *dst = im->data;
        for (int64_t i = 0; i < n; i++) {
            const uint8_t *src = ds->pixels + (size_t)indices[i] * per;
            float *d = dst + (size_t)i * per;
            for (size_t k = 0; k < per; k++) d[k] = (float)src[k] / 255.0f;
        }
    }
    if (labels) {
        lb = nbi_tensor_alloc(NB_INT32, 1, &n);
        if (!lb) {
            nb_tensor_unref(im);
            return nbi_error(NB_ERR_OUT_OF_MEMORY);
        }
        int32_t *l = lb->data;
        for (int64_t i = 0; i < n; i++) l[i] = ds->labels[indices[i]];
    }
    if (images) *images = im;
    if (labels) *labels = lb;
    return NB_OK;
}

static int64_t *iota(int64_t n) {
    int64_t *v = nbi_malloc(nbi_mul_size(n > 0 ? (size_t)n : 1, sizeof *v));
    if (v)
        for (int64_t i = 0; i < n; i++) v[i] = i;
    return v;
}

nb_tensor *nb_image_dataset_images(const nb_image_dataset *ds) {
    if (!ds) return NULL;
    int64_t *idx = iota(ds->n);
    nb_tensor *t = NULL;
    if (idx) nb_image_dataset_gather(ds, idx, ds->n, &t, NULL);
    nbi_free(idx);
    return t;
}

nb_tensor *nb_image_dataset_labels(const nb_image_dataset *ds) {
    if (!ds) return NULL;
    int64_t n = ds->n;
    nb_tensor *t = nb_tensor_new(NB_INT32, 1, &n, ds->labels);
    return t;
}

void nb_image_dataset_shuffle(nb_image_dataset *ds, uint64_t seed) {
    if (!ds) return;
    ds->seed = seed;
    ds->epoch = 0;
    ds->pos = 0;
    ds->perm_ready = false;
}

int64_t nb_image_dataset_epoch(const nb_image_dataset *ds) { return ds ? ds->epoch : 0; }

/* The permutation of the current epoch: Fisher-Yates driven by Philox(seed, epoch). */
static bool make_perm(nb_image_dataset *ds) {
    if (!ds->perm) {
        ds->perm = iota(ds->n);
        if (!ds->perm) return false;
    }
    for (int64_t i = 0; i < ds->n; i++) ds->perm[i] = i;
    nbi_philox p;
    nbi_philox_init(&p, ds->seed, (uint64_t)ds->epoch, 0);
    for (int64_t i = ds->n - 1; i > 0; i--) {
        int64_t j = (int64_t)(nbi_philox_uniform(&p) * (double)(i + 1));
        if (j > i) j = i;
        int64_t t = ds->perm[i];
        ds->perm[i] = ds->perm[j];
        ds->perm[j] = t;
    }
    ds->perm_ready = true;
    return true;
}

nb_status nb_image_dataset_next_batch(nb_image_dataset *ds, int64_t batch_size, nb_tensor **images,
                                      nb_tensor **labels) {
    if (images) *images = NULL;
    if (labels) *labels = NULL;
    if (!ds || batch_size <= 0) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    if (ds->pos >= ds->n) {
        ds->epoch++;
        ds->pos = 0;
        ds->perm_ready = false;
    }
    if (!ds->perm_ready && !make_perm(ds)) return nbi_error(NB_ERR_OUT_OF_MEMORY);
    int64_t b = ds->n - ds->pos < batch_size ? ds->n - ds->pos : batch_size;
    nb_status st = nb_image_dataset_gather(ds, ds->perm + ds->pos, b, images, labels);
    if (st == NB_OK) ds->pos += b;
    return st;
}
