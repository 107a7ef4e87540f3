/*
 * predict.c — classify images with a frozen graph (a .pb written by
 * nb_graph_freeze + nb_graph_save_graphdef), the way a TF1 program loads a
 * frozen_model.pb for inference.
 *
 * The graph must have a float placeholder (default "input") of shape
 * [?, H, W, C] or [?, H*W*C] and an output of class probabilities (default
 * "probabilities"); C must be 1 (gray) or 3 (RGB). Images (PNG, JPEG, BMP,
 * binary PGM/PPM, told apart by their first bytes, not their names) are
 * decoded by nb_image_load, scaled to [0, 1] and resized bilinearly to H x W.
 * For each image it prints the top class and every class's probability.
 *
 * --smoke (the tests) builds a tiny classifier of 8x8 gray images itself,
 * trains it a few steps, freezes it to a temporary .pb, writes generated
 * images (PGMs with '#' comment lines, some named .PGM), classifies them
 * through the loaded file, and checks the predictions match the original
 * session's; and checks that a model whose input is too large for an image
 * is refused with a message.
 *
 * Usage: predict MODEL.pb [--input NAME] [--output NAME] [--labels a,b,c] IMAGE...
 *        predict --smoke
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, strdup */
#include "nabla.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct model {
    nb_graph *g;
    nb_session *s;
    nb_output input, output;
    int rank, h, w, ch;
} model;

static int model_load(model *m, const char *pb, const char *in_name, const char *out_name) {
    nb_error err;
    memset(m, 0, sizeof *m);
    m->g = nb_graph_new();
    if (nb_graph_load_graphdef(m->g, pb, NULL, &err) != NB_OK) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    m->input = nb_graph_find_output(m->g, in_name);
    m->output = nb_graph_find_output(m->g, out_name);
    if (!m->input.op || !m->output.op) {
        fprintf(stderr, "%s: no node '%s'\n", pb, !m->input.op ? in_name : out_name);
        return -1;
    }
    nb_shape s = nb_output_shape(m->input);
    m->rank = s.rank;
    /* nb_image_load's limit: 2^26 pixels (and so the input tensor below 2^28 floats) */
    const int64_t max_px = (int64_t)1 << 26;
    if ((s.rank == 4 && s.dims[1] > 0 && s.dims[2] > 0 &&
         (s.dims[1] > max_px || s.dims[2] > max_px / s.dims[1])) ||
        (s.rank == 2 && s.dims[1] > max_px)) {
        char dims[128] = "";
        for (int i = 0; i < s.rank && i < 4; i++)
            snprintf(dims + strlen(dims), sizeof dims - strlen(dims), s.dims[i] < 0 ? "%s?" : "%s%lld", i ? "," : "",
                     (long long)s.dims[i]);
        fprintf(stderr, "%s: input '%s' of shape [%s] is too large for an image (at most %lld pixels)\n", pb, in_name,
                dims, (long long)max_px);
        return -1;
    }
    if (s.rank == 4 && s.dims[1] > 0 && s.dims[2] > 0 && (s.dims[3] == 1 || s.dims[3] == 3)) {
        m->h = (int)s.dims[1], m->w = (int)s.dims[2], m->ch = (int)s.dims[3];
    } else if (s.rank == 2 && s.dims[1] > 0) {
        int side = (int)lround(sqrt((double)s.dims[1]));
        if (side * side != s.dims[1]) {
            fprintf(stderr, "%s: input '%s' of %lld values is not a square gray image\n", pb, in_name,
                    (long long)s.dims[1]);
            return -1;
        }
        m->h = m->w = side, m->ch = 1;
    } else {
        fprintf(stderr, "%s: input '%s' must be [?, H, W, C] with C 1 or 3, or [?, H*W]\n", pb, in_name);
        return -1;
    }
    m->s = nb_session_new(m->g);
    return 0;
}

static void model_free(model *m) {
    nb_session_free(m->s);
    nb_graph_free(m->g);
}

/* Class probabilities of one image (new reference), NULL on error (printed). */
static nb_tensor *classify(model *m, const char *path) {
    int64_t d4[4] = {1, m->h, m->w, m->ch}, d2[2] = {1, (int64_t)m->h * m->w * m->ch};
    nb_tensor *x = m->rank == 4 ? nb_tensor_new(NB_FLOAT32, 4, d4, NULL) : nb_tensor_new(NB_FLOAT32, 2, d2, NULL);
    if (!x) {
        fprintf(stderr, "%s: out of memory for an input of %dx%dx%d\n", path, m->h, m->w, m->ch);
        return NULL;
    }
    /* decoded (PNG, JPEG, BMP, PGM/PPM) and resized by the library */
    nb_error err;
    nb_tensor *img = nb_image_load(path, m->h, m->w, m->ch, &err);
    if (!img) {
        fprintf(stderr, "%s\n", err.message);
        nb_tensor_unref(x);
        return NULL;
    }
    memcpy(nb_tensor_data(x), nb_tensor_data_const(img), nb_tensor_nbytes(x));
    nb_tensor_unref(img);
    nb_feed f = {m->input, x};
    nb_tensor *p = nb_session_eval(m->s, m->output, &f, 1);
    if (!p) fprintf(stderr, "%s: %s\n", path, nb_session_errmsg(m->s));
    nb_tensor_unref(x);
    return p;
}

static int top_class(const nb_tensor *p) {
    int64_t n = nb_tensor_size(p);
    int best = 0;
    for (int64_t i = 1; i < n; i++)
        if (nb_tensor_get_flat(p, i) > nb_tensor_get_flat(p, best)) best = (int)i;
    return best;
}

static void print_prediction(const char *path, const nb_tensor *p, char **labels, int n_labels) {
    int best = top_class(p);
    char num[16];
    snprintf(num, sizeof num, "%d", best);
    printf("%s: %s (%.4f)  [", path, best < n_labels ? labels[best] : num, nb_tensor_get_flat(p, best));
    for (int64_t i = 0; i < nb_tensor_size(p); i++)
        printf("%s%.4f", i ? " " : "", nb_tensor_get_flat(p, i));
    printf("]\n");
}

/*** --smoke ***/

enum { S = 8, NC = 3 };

/* Class 0: bright top half; 1: bright left half; 2: bright diagonal band. */
static void gen_image(int cls, unsigned seed, unsigned char *px) {
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            seed = seed * 1103515245u + 12345u;
            int noise = (int)((seed >> 16) % 60);
            bool on = cls == 0 ? y < S / 2 : cls == 1 ? x < S / 2 : abs(x - y) <= 1;
            px[y * S + x] = (unsigned char)(on ? 190 + noise : noise);
        }
}

static int smoke(void) {
    nb_graph *g = nb_graph_new();
    nb_graph_set_seed(g, 3);
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, S * S), "input");
    nb_output y = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, NC), "labels");
    nb_output w = nb_variable(g, nb_random_normal(g, NB_FLOAT32, NB_SHAPE(S * S, NC), 0, 0.1, 0, NULL), "weights");
    nb_output b = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(NC), NULL), "bias");
    nb_output logits = nb_add(g, nb_matmul(g, x, w, false, false, NULL), b, "logits");
    nb_output prob = nb_nn_softmax(g, logits, "probabilities");
    nb_output loss = nb_reduce_mean(g, nb_nn_softmax_cross_entropy_with_logits(g, y, logits, NULL), NULL,
                                    NB_ALL_AXES, false, "loss");
    nb_output train = nb_train_gradient_descent_minimize(g, 0.5, loss);
    nb_output init = nb_global_variables_initializer(g);
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph: %s\n", nb_graph_errmsg(g));
        return 1;
    }
    /* A batch of 30 generated images. */
    enum { N = 30 };
    int64_t xd[2] = {N, S * S}, yd[2] = {N, NC};
    nb_tensor *X = nb_tensor_new(NB_FLOAT32, 2, xd, NULL), *Y = nb_tensor_new(NB_FLOAT32, 2, yd, NULL);
    float *xv = nb_tensor_data(X), *yv = nb_tensor_data(Y);
    unsigned char px[S * S];
    for (int i = 0; i < N; i++) {
        gen_image(i % NC, 1000u + (unsigned)i, px);
        for (int k = 0; k < S * S; k++) xv[i * S * S + k] = (float)px[k] / 255.0f;
        for (int c = 0; c < NC; c++) yv[i * NC + c] = c == i % NC;
    }
    nb_session *s = nb_session_new(g);
    nb_session_run(s, NULL, 0, &init, 1, NULL);
    nb_feed feeds[2] = {{x, X}, {y, Y}};
    for (int step = 0; step < 20; step++)
        if (nb_session_run(s, feeds, 2, &train, 1, NULL) != NB_OK) {
            fprintf(stderr, "train: %s\n", nb_session_errmsg(s));
            return 1;
        }
    /* Freeze to a temporary .pb. */
    char dir[] = "/tmp/nb_predict_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char pb[256];
    snprintf(pb, sizeof pb, "%s/frozen.pb", dir);
    nb_graph *frozen = NULL;
    nb_error err;
    if (nb_graph_freeze(s, &prob, 1, &frozen, &err) != NB_OK ||
        nb_graph_save_graphdef(frozen, pb, &err) != NB_OK) {
        fprintf(stderr, "freeze: %s\n", err.message);
        return 1;
    }
    nb_graph_free(frozen);
    model m;
    int failures = 0, correct = 0;
    if (model_load(&m, pb, "input", "probabilities") != 0) return 1;
    char *labels[NC] = {"top", "left", "diagonal"};
    for (int i = 0; i < 6; i++) {
        char path[300];
        /* odd images named .PGM; every header carries comment lines */
        snprintf(path, sizeof path, "%s/image%d.%s", dir, i, i % 2 ? "PGM" : "pgm");
        gen_image(i % NC, 5000u + (unsigned)i, px);
        FILE *f = fopen(path, "wb");
        fprintf(f, "P5\n# a generated image\n%d %d # width height\n255\n", S, S);
        fwrite(px, 1, sizeof px, f);
        fclose(f);
        nb_tensor *p = classify(&m, path);
        /* The same image through the original session. */
        int64_t d1[2] = {1, S * S};
        nb_tensor *xi = nb_tensor_new(NB_FLOAT32, 2, d1, NULL);
        for (int k = 0; k < S * S; k++) ((float *)nb_tensor_data(xi))[k] = (float)px[k] / 255.0f;
        nb_feed fi = {x, xi};
        nb_tensor *q = nb_session_eval(s, prob, &fi, 1);
        if (!p || !q) {
            failures++;
        } else {
            print_prediction(path + strlen(dir) + 1, p, labels, NC);
            for (int64_t k = 0; k < NC; k++)
                if (nb_tensor_get_flat(p, k) != nb_tensor_get_flat(q, k)) failures++;
            correct += top_class(p) == i % NC;
        }
        nb_tensor_unref(p);
        nb_tensor_unref(q);
        nb_tensor_unref(xi);
        unlink(path);
    }
    model_free(&m);
    /* A model whose input is too large for an image is refused at load. */
    nb_graph *huge = nb_graph_new();
    nb_output hx = nb_placeholder(huge, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 100000, 100000, 3), "input");
    nb_identity(huge, hx, "probabilities");
    bool refused = false;
    if (nb_graph_save_graphdef(huge, pb, &err) != NB_OK) {
        fprintf(stderr, "save: %s\n", err.message);
    } else {
        model mh;
        fprintf(stderr, "(expected:) ");
        refused = model_load(&mh, pb, "input", "probabilities") != 0;
        model_free(&mh);
    }
    nb_graph_free(huge);
    if (!refused) failures++;
    unlink(pb);
    rmdir(dir);
    printf("smoke check: frozen-graph predictions %s the training session's; %d/6 correct: %s\n",
           failures ? "DIFFER from" : "match", correct, !failures && correct >= 4 ? "passed" : "FAILED");
    nb_tensor_unref(X);
    nb_tensor_unref(Y);
    nb_session_free(s);
    nb_graph_free(g);
    return !failures && correct >= 4 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "--smoke")) return smoke();
    const char *pb = NULL, *in_name = "input", *out_name = "probabilities";
    char *labels[256];
    int n_labels = 0, n_images = 0;
    char **images = calloc((size_t)argc, sizeof *images);
    char *label_buf = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--input") && i + 1 < argc) in_name = argv[++i];
        else if (!strcmp(argv[i], "--output") && i + 1 < argc) out_name = argv[++i];
        else if (!strcmp(argv[i], "--labels") && i + 1 < argc) {
            free(label_buf);
            label_buf = strdup(argv[++i]);
            n_labels = 0;
            for (char *t = strtok(label_buf, ","); t && n_labels < 256; t = strtok(NULL, ","))
                labels[n_labels++] = t;
        } else if (!pb) pb = argv[i];
        else images[n_images++] = argv[i];
    }
    if (!pb || n_images == 0) {
        fprintf(stderr, "usage: %s MODEL.pb [--input NAME] [--output NAME] [--labels a,b,c] IMAGE.(png|jpg|bmp|pgm|ppm)...\n"
                        "       %s --smoke\n", argv[0], argv[0]);
        free(images);
        free(label_buf);
        return 2;
    }
    model m;
    int rc = 0;
    if (model_load(&m, pb, in_name, out_name) != 0) {
        rc = 1;
    } else {
        for (int i = 0; i < n_images; i++) {
            nb_tensor *p = classify(&m, images[i]);
            if (!p) {
                rc = 1;
                continue;
            }
            print_prediction(images[i], p, labels, n_labels);
            nb_tensor_unref(p);
        }
    }
    model_free(&m);
    free(images);
    free(label_buf);
    return rc;
}
