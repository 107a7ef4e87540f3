/*
 * kmeans.c — k-means clustering (the course's unsupervised learning example).
 *
 * On the 10,000 Fashion-MNIST test images (pixels scaled to [0, 1], float64,
 * 784 features) with k = 10:
 *   (a) started from the first 10 images as centroids, run to convergence
 *       (tol 1e-4): scikit-learn 1.2 reaches inertia 323,128.8 after 58
 *       iterations; nabla must agree within 0.1%;
 *   (b) k-means++ with 10 restarts: scikit-learn's best is 316,754.9; nabla
 *       must land within 1%. Prints the cluster sizes and, from the labels
 *       file, each cluster's most common garment.
 * Then iris (examples/data/iris.csv) with k = 3 (scikit-learn on this file: 78.85144).
 *
 * With --smoke (the tests) it runs only iris and a small synthetic set of
 * three blobs, and checks the results. The data set comes from Debian's
 * dataset-fashion-mnist (/usr/share/datasets/fashion-mnist); when it is
 * missing the Fashion-MNIST part is skipped with a note.
 *
 * Usage: kmeans [--smoke] [--threads N] [--fashion DIR] [--iris FILE]
 */
#define _POSIX_C_SOURCE 200809L
#include <nabla.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *const GARMENTS[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                         "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Cluster sizes, sorted descending into sizes[k]; printed. */
static void cluster_sizes(const nb_tensor *labels, int k, int64_t *sizes, int print) {
    for (int j = 0; j < k; j++) sizes[j] = 0;
    const int64_t *l = nb_tensor_data_const(labels);
    for (int64_t i = 0; i < nb_tensor_size(labels); i++) sizes[l[i]]++;
    if (print) {
        printf("  cluster sizes:");
        for (int j = 0; j < k; j++) printf(" %lld", (long long)sizes[j]);
        printf("\n");
    }
}

static int cmp_desc(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x < y) - (x > y);
}

static int run_kmeans(const nb_tensor *x, nb_kmeans_options *o, nb_kmeans_result *r, double *secs) {
    nb_error err;
    double t0 = now();
    if (nb_kmeans(x, o, r, &err) != NB_OK) {
        fprintf(stderr, "nb_kmeans: %s\n", err.message);
        return 0;
    }
    *secs = now() - t0;
    return 1;
}

/* The iris clusters as a scatter of petal length against petal width, one
 * colour per cluster, the centroids as crosses: figures/kmeans_iris.png. */
static void plot_iris(const nb_tensor *X, const nb_kmeans_result *r) {
    int64_t n = nb_tensor_dim(X, 0);
    nb_figure *fig = nb_figure_new(640, 480);
    nb_figure_title(fig, "k-means on iris (k = 3)");
    nb_figure_xlabel(fig, "petal length (cm)");
    nb_figure_ylabel(fig, "petal width (cm)");
    nb_figure_grid(fig, true);
    for (int c = 0; c < 3; c++) {
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++) m += nb_tensor_get_flat(r->labels, i) == c;
        nb_tensor *xs = nb_tensor_zeros(NB_FLOAT64, 1, &m), *ys = nb_tensor_zeros(NB_FLOAT64, 1, &m);
        for (int64_t i = 0, j = 0; i < n; i++)
            if (nb_tensor_get_flat(r->labels, i) == c) {
                nb_tensor_set_flat(xs, j, nb_tensor_get_flat(X, i * 4 + 2));
                nb_tensor_set_flat(ys, j++, nb_tensor_get_flat(X, i * 4 + 3));
            }
        char label[32];
        snprintf(label, sizeof label, "cluster %d (%lld)", c, (long long)m);
        nb_figure_scatter(fig, xs, ys, label, NB_COLOR_AUTO, NB_MARKER_CIRCLE);
        nb_tensor_unref(xs);
        nb_tensor_unref(ys);
    }
    int64_t k = 3;
    nb_tensor *cx = nb_tensor_zeros(NB_FLOAT64, 1, &k), *cy = nb_tensor_zeros(NB_FLOAT64, 1, &k);
    for (int c = 0; c < 3; c++) {
        nb_tensor_set_flat(cx, c, nb_tensor_get_flat(r->centroids, c * 4 + 2));
        nb_tensor_set_flat(cy, c, nb_tensor_get_flat(r->centroids, c * 4 + 3));
    }
    nb_figure_scatter(fig, cx, cy, "centroids", 0x000000, NB_MARKER_CROSS);
    nb_tensor_unref(cx);
    nb_tensor_unref(cy);
    mkdir("figures", 0777);
    nb_error err;
    if (nb_figure_save(fig, "figures/kmeans_iris.png", &err) != NB_OK)
        fprintf(stderr, "figure: %s\n", err.message);
    else
        printf("  figure: figures/kmeans_iris.png\n");
    nb_figure_free(fig);
}

/* Iris, k = 3, k-means++ with 10 restarts. Returns 1 when the check holds. */
static int iris(const char *path, int check) {
    nb_error err;
    const char *cols[4] = {"sepal_length", "sepal_width", "petal_length", "petal_width"};
    nb_tensor *X = nb_csv_read(path, true, cols, 4, NB_FLOAT64, &err);
    if (!X) {
        fprintf(stderr, "%s\n", err.message);
        return 0;
    }
    nb_kmeans_options o = nb_kmeans_options_default(3);
    o.seed = 1;
    nb_kmeans_result r;
    double secs;
    int ok = run_kmeans(X, &o, &r, &secs);
    if (ok) {
        int64_t sizes[3];
        printf("iris, k = 3, k-means++ x 10: inertia %.5f after %d iterations (%.1f ms); "
               "scikit-learn 78.85144 on this file\n",
               r.inertia, r.n_iter, secs * 1e3);
        cluster_sizes(r.labels, 3, sizes, 1);
        plot_iris(X, &r);
        qsort(sizes, 3, sizeof sizes[0], cmp_desc);
        if (check) {
            ok = fabs(r.inertia - 78.851441426146) < 1e-3 && sizes[0] == 62 && sizes[1] == 50 &&
                 sizes[2] == 38;
            printf("  check (inertia 78.85144, sizes 62/50/38): %s\n", ok ? "passed" : "FAILED");
        }
        nb_kmeans_result_clear(&r);
    }
    nb_tensor_unref(X);
    return ok;
}

/* Three well separated blobs in 2-d; every blob must be one cluster and the
 * centroids must be the blob means, from k-means++ and from given centroids. */
static int synthetic(void) {
    const int per = 40;
    int64_t dims[2] = {3 * per, 2};
    nb_tensor *noise = nb_tensor_random_normal(NB_FLOAT32, 2, dims, 0.0, 0.5, 42);
    nb_tensor *X = nb_tensor_copy(noise);
    float *x = nb_tensor_data(X);
    const float centers[3][2] = {{0, 0}, {10, 0}, {0, 10}};
    for (int i = 0; i < 3 * per; i++) {
        x[2 * i] += centers[i / per][0];
        x[2 * i + 1] += centers[i / per][1];
    }
    double mean[3][2] = {{0}};
    for (int i = 0; i < 3 * per; i++)
        for (int q = 0; q < 2; q++) mean[i / per][q] += x[2 * i + q] / per;
    int ok = 1;
    for (int pass = 0; pass < 2 && ok; pass++) {
        nb_kmeans_options o = nb_kmeans_options_default(3);
        nb_tensor *init = NULL;
        if (pass == 1) { /* given centroids: one point of each blob, in a shuffled order */
            float c0[6] = {x[2 * (2 * per)], x[2 * (2 * per) + 1], x[0], x[1], x[2 * per], x[2 * per + 1]};
            init = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){3, 2}, c0);
            o.init_centroids = init;
        }
        nb_kmeans_result r;
        double secs;
        if (!run_kmeans(X, &o, &r, &secs)) {
            ok = 0;
            break;
        }
        const int64_t *l = nb_tensor_data_const(r.labels);
        for (int b = 0; b < 3; b++) {
            int64_t lab = l[b * per];
            for (int i = 0; i < per; i++) ok &= l[b * per + i] == lab;
            for (int q = 0; q < 2; q++)
                ok &= fabs(nb_tensor_get_flat(r.centroids, lab * 2 + q) - mean[b][q]) < 1e-4;
        }
        printf("synthetic blobs (%s): inertia %.4f after %d iterations: %s\n",
               pass ? "given centroids" : "k-means++ x 10", r.inertia, r.n_iter,
               ok ? "each blob is one cluster, centroids are the blob means" : "FAILED");
        nb_kmeans_result_clear(&r);
        nb_tensor_unref(init);
    }
    nb_tensor_unref(noise);
    nb_tensor_unref(X);
    return ok;
}

/* Fashion-MNIST (a) and (b). Returns 0 on a failed check, 1 otherwise, 2 when skipped. */
static int fashion(const char *dir) {
    char ip[1024], lp[1024];
    snprintf(ip, sizeof ip, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(lp, sizeof lp, "%s/t10k-labels-idx1-ubyte.gz", dir);
    nb_error err;
    double t0 = now();
    nb_tensor *img = nb_idx_load(ip, &err);
    if (!img) {
        printf("Fashion-MNIST skipped: %s\n  (apt-get install dataset-fashion-mnist)\n", err.message);
        return 2;
    }
    nb_tensor *lab = nb_idx_load(lp, &err);
    if (!lab) {
        fprintf(stderr, "%s\n", err.message);
        nb_tensor_unref(img);
        return 0;
    }
    int64_t n = nb_tensor_dim(img, 0);
    nb_tensor *X = nb_tensor_reshape(img, 2, (int64_t[]){n, 784});
    nb_tensor *Xf = nb_tensor_cast(X, NB_FLOAT64);
    double *xd = nb_tensor_data(Xf);
    for (int64_t i = 0; i < n * 784; i++) xd[i] /= 255.0;
    printf("Fashion-MNIST test set: %lld images of 28x28 read in %.0f ms; %d threads\n",
           (long long)n, (now() - t0) * 1e3, nb_get_num_threads());
    int ok = 1;

    /* (a) the first 10 images as centroids */
    nb_tensor *init = nb_tensor_new(NB_FLOAT64, 2, (int64_t[]){10, 784}, xd);
    nb_kmeans_options o = nb_kmeans_options_default(10);
    o.init_centroids = init;
    nb_kmeans_result r;
    double secs;
    if (run_kmeans(Xf, &o, &r, &secs)) {
        double rel = fabs(r.inertia - 323128.8) / 323128.8;
        printf("(a) first 10 images as centroids: inertia %.1f after %d iterations in %.3f s\n"
               "    scikit-learn: 323128.8 after 58 iterations; difference %.4f%%: %s\n",
               r.inertia, r.n_iter, secs, rel * 100, rel < 1e-3 ? "within 0.1%" : "NOT within 0.1%");
        ok &= rel < 1e-3;
        nb_kmeans_result_clear(&r);
    } else {
        ok = 0;
    }
    nb_tensor_unref(init);

    /* (b) k-means++ with 10 restarts */
    o = nb_kmeans_options_default(10);
    o.n_init = 10;
    o.seed = 0;
    if (run_kmeans(Xf, &o, &r, &secs)) {
        double rel = (r.inertia - 316754.9) / 316754.9;
        printf("(b) k-means++, 10 restarts: best inertia %.1f (run %d, %d iterations) in %.3f s\n"
               "    scikit-learn: 316754.9; difference %+.3f%%: %s\n",
               r.inertia, r.best_run, r.n_iter, secs, rel * 100,
               fabs(rel) < 1e-2 ? "within 1%" : "NOT within 1%");
        ok &= fabs(rel) < 1e-2;
        int64_t sizes[10];
        cluster_sizes(r.labels, 10, sizes, 1);
        const int64_t *l = nb_tensor_data_const(r.labels);
        const uint8_t *y = nb_tensor_data_const(lab);
        int64_t correct = 0;
        for (int j = 0; j < 10; j++) {
            int64_t hist[10] = {0};
            for (int64_t i = 0; i < n; i++)
                if (l[i] == j) hist[y[i]]++;
            int m = 0;
            for (int c = 1; c < 10; c++)
                if (hist[c] > hist[m]) m = c;
            correct += hist[m];
            printf("    cluster %d: %5lld images, mostly %-11s (%.0f%%)\n", j, (long long)sizes[j],
                   GARMENTS[m], sizes[j] ? 100.0 * hist[m] / sizes[j] : 0.0);
        }
        printf("    purity (each cluster read as its most common garment): %.3f\n",
               (double)correct / n);
        nb_kmeans_result_clear(&r);
    } else {
        ok = 0;
    }
    nb_tensor_unref(Xf);
    nb_tensor_unref(X);
    nb_tensor_unref(img);
    nb_tensor_unref(lab);
    return ok;
}

int main(int argc, char **argv) {
    int smoke = 0;
    const char *dir = "/usr/share/datasets/fashion-mnist", *iris_path = "data/iris.csv";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--smoke")) smoke = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) nb_set_num_threads(atoi(argv[++i]));
        else if (!strcmp(argv[i], "--fashion") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--iris") && i + 1 < argc) iris_path = argv[++i];
    }
    int ok = 1;
    if (!smoke) ok &= fashion(dir) != 0;
    ok &= iris(iris_path, 1);
    if (smoke) ok &= synthetic();
    printf("%s: %s\n", smoke ? "smoke check" : "checks", ok ? "passed" : "FAILED");
    return ok ? 0 : 1;
}
