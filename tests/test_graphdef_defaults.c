/*
 * test_graphdef_defaults.c — a NodeDef without an attr that has a TF default
 * imports with that default, as TF's importer adds an OpDef's defaults
 * (GraphDefs written with defaults stripped, or before the attr existed, as
 * Conv2D's dilations before TF 1.5). Each case builds a graph with TF's
 * default values written out, exports it, deletes the attrs, imports the
 * result: the import must export the same bytes as the original, and where
 * the default changes the answer, run to the value computed by hand.
 */
#include "harness.h"
#include "ops/ops_impl.h"
#include "io/tensorboard.h"

/* g's GraphDef with the attrs `keys` (NULL-ended) of node `node` removed. */
static void *strip(nb_graph *g, const char *node, const char *const *keys, size_t *len) {
    void *b = NULL;
    size_t n = 0;
    if (nb_graph_to_graphdef(g, &b, &n) != NB_OK) return NULL;
    Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(NULL, n, b);
    free(b);
    if (!gd) return NULL;
    int removed = 0;
    for (size_t i = 0; i < gd->n_node; i++) {
        Tensorflow__NodeDef *nd = gd->node[i];
        if (strcmp(nd->name, node)) continue;
        size_t k = 0; /* the kept entries to the front, the dropped ones after n_attr */
        for (size_t j = 0; j < nd->n_attr; j++) {
            bool drop = false;
            for (int q = 0; keys[q]; q++) drop |= !strcmp(nd->attr[j]->key, keys[q]);
            if (drop) {
                removed++;
                continue;
            }
            Tensorflow__NodeDef__AttrEntry *e = nd->attr[k];
            nd->attr[k++] = nd->attr[j];
            nd->attr[j] = e;
        }
        nd->n_attr = k;
    }
    int want = 0;
    while (keys[want]) want++;
    CHECK(removed == want);
    *len = tensorflow__graph_def__get_packed_size(gd);
    void *out = malloc(*len ? *len : 1);
    if (out) tensorflow__graph_def__pack(gd, out);
    /* restore n_attr so free_unpacked frees every entry it allocated */
    for (size_t i = 0; i < gd->n_node; i++)
        if (!strcmp(gd->node[i]->name, node)) gd->node[i]->n_attr += (size_t)removed;
    tensorflow__graph_def__free_unpacked(gd, NULL);
    return out;
}

/* Strips keys from node, imports, and checks the import exports g's bytes; the
 * imported graph (caller frees) or NULL. */
static nb_graph *strip_and_import(nb_graph *g, const char *node, const char *const *keys) {
    CHECK_GRAPH_OK(g);
    size_t len = 0;
    void *bytes = strip(g, node, keys, &len);
    CHECK(bytes != NULL);
    if (!bytes) return NULL;
    nb_graph *h = nb_graph_new();
    nb_error err;
    nb_status st = nb_graph_import_graphdef(h, bytes, len, NULL, &err);
    free(bytes);
    CHECK_STATUS(st, NB_OK);
    if (st != NB_OK) {
        fprintf(stderr, "  import: %s\n", err.message);
        nb_graph_free(h);
        return NULL;
    }
    void *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK_STATUS(nb_graph_to_graphdef(g, &a, &na), NB_OK);
    CHECK_STATUS(nb_graph_to_graphdef(h, &b, &nb), NB_OK);
    CHECK(a && b && na == nb && !memcmp(a, b, na));
    free(a);
    free(b);
    return h;
}

static nb_tensor *run1(nb_graph *g, const char *out, const char *in, nb_tensor *v) {
    nb_feed f = {nb_graph_find_output(g, in), v};
    return eval1(g, nb_graph_find_output(g, out), &f, 1);
}

TEST(leaky_relu_alpha_defaults_to_0_2) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "x");
    nb_output y = nb_nn_leaky_relu(g, x, 0.2, "y");
    nb_output xs[] = {x}, dx = nb_nil;
    nb_gradients(g, &y, 1, xs, 1, NULL, &dx); /* LeakyReluGrad, alpha 0.2 too */
    nb_graph *h = strip_and_import(g, "y", (const char *[]){"alpha", NULL});
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){3}, (float[]){-1.0f, 2.0f, -0.5f});
    nb_tensor *t = h ? run1(h, "y", "x", xv) : NULL;
    CHECK(t != NULL);
    if (t) { /* 0.2 * -1, 2, 0.2 * -0.5 */
        const float *p = nb_tensor_data(t);
        CHECK_NEAR(p[0], -0.2, 1e-7);
        CHECK(p[1] == 2.0f);
        CHECK_NEAR(p[2], -0.1, 1e-7);
    }
    nb_tensor_unref(t);
    nb_graph_free(h);
    const char *grad_name = nb_op_name(dx.op);
    h = strip_and_import(g, grad_name, (const char *[]){"alpha", NULL});
    nb_graph_free(h);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

TEST(one_hot_axis_defaults_to_last) {
    nb_graph *g = nb_graph_new();
    nb_output i = nb_placeholder(g, NB_INT32, NB_SHAPE(2), "i");
    nb_one_hot(g, i, 3, 1.0, 0.0, NB_FLOAT32, "y"); /* axis -1 */
    nb_graph *h = strip_and_import(g, "y", (const char *[]){"axis", NULL});
    nb_tensor *iv = nb_tensor_new(NB_INT32, 1, (int64_t[]){2}, (int32_t[]){0, 2});
    nb_tensor *t = h ? run1(h, "y", "i", iv) : NULL;
    CHECK(t != NULL);
    if (t) { /* [2, 3]: rows e0 and e2 */
        CHECK(nb_tensor_rank(t) == 2 && nb_tensor_dim(t, 0) == 2 && nb_tensor_dim(t, 1) == 3);
        const float want[6] = {1, 0, 0, 0, 0, 1};
        CHECK(nb_tensor_size(t) == 6 && !memcmp(nb_tensor_data(t), want, sizeof want));
    }
    nb_tensor_unref(t);
    nb_tensor_unref(iv);
    nb_graph_free(h);
    nb_graph_free(g);
}

TEST(conv2d_dilations_default_to_1) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(1, 3, 1, 1), "x");
    nb_output f = nb_constant_array(g, NB_FLOAT32, 4, (int64_t[]){2, 1, 1, 1}, (float[]){1, 10}, "f");
    nb_nn_conv2d(g, x, f, (int[]){1, 1, 1, 1}, "VALID", NULL, "y");
    nb_graph *h = strip_and_import(g, "y", (const char *[]){"dilations", NULL});
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 4, (int64_t[]){1, 3, 1, 1}, (float[]){1, 2, 3});
    nb_tensor *t = h ? run1(h, "y", "x", xv) : NULL;
    CHECK(t != NULL);
    if (t) { /* 1*1 + 2*10, 2*1 + 3*10 */
        const float *p = nb_tensor_data(t);
        CHECK(nb_tensor_size(t) == 2 && p[0] == 21.0f && p[1] == 32.0f);
    }
    nb_tensor_unref(t);
    nb_tensor_unref(xv);
    nb_graph_free(h);
    nb_graph_free(g);
}

TEST(fused_batch_norm_defaults_to_training_and_epsilon_1e_4) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(1, 1, 2, 1), "x");
    nb_output one = nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){1}, (float[]){1}, "scale");
    nb_output zero = nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){1}, (float[]){0}, "offset");
    nb_nn_fused_batch_norm(g, x, one, zero, nb_nil, nb_nil, 0.0001, true, NULL, NULL, "y");
    nb_graph *h = strip_and_import(g, "y", (const char *[]){"epsilon", "is_training", NULL});
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 4, (int64_t[]){1, 1, 2, 1}, (float[]){1, 3});
    nb_tensor *t = h ? run1(h, "y", "x", xv) : NULL;
    CHECK(t != NULL);
    if (t) { /* batch mean 2, variance 1: (x - 2) / sqrt(1 + 1e-4) */
        const float *p = nb_tensor_data(t);
        CHECK_NEAR(p[0], -1.0 / sqrt(1.0001), 1e-6);
        CHECK_NEAR(p[1], 1.0 / sqrt(1.0001), 1e-6);
    }
    nb_tensor_unref(t);
    nb_tensor_unref(xv);
    nb_graph_free(h);
    nb_graph_free(g);
}

TEST(print_first_n_and_summarize_default_to_tf) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2), "x");
    nb_print(g, x, &x, 1, "x: ", -1, 3, "y");
    nb_graph *h = strip_and_import(g, "y", (const char *[]){"first_n", "summarize", NULL});
    nb_graph_free(h);
    nb_graph_free(g);
}

TEST(image_summary_max_images_defaults_to_tf) {
    /* TF's ImageSummary OpDef: max_images int >= 1, default 3 */
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(5, 2, 2, 1), "x");
    nb_output s = nb_summary_image(g, "img", x, 3);
    CHECK(s.op != NULL);
    nb_graph *h = strip_and_import(g, "img", (const char *[]){"max_images", NULL});
    CHECK(h != NULL);
    if (h) {
        nb_op *op = nb_graph_find_op(h, "img");
        CHECK(op != NULL);
        if (op) CHECK(op->attrs.ints[0] == 3);
    }
    nb_graph_free(h);
    nb_graph_free(g);
}

TEST(argmax_output_type_defaults_to_int64) {
    /* TF's ArgMax/ArgMin OpDefs: output_type {int32, int64}, default int64 */
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "x");
    nb_argmax(g, x, 1, "am");
    nb_argmin(g, x, 0, "an");
    nb_graph *h = strip_and_import(g, "am", (const char *[]){"output_type", NULL});
    CHECK(h != NULL);
    if (h) CHECK(nb_output_dtype(nb_graph_find_output(h, "am:0")) == NB_INT64);
    nb_graph_free(h);
    h = strip_and_import(g, "an", (const char *[]){"output_type", NULL});
    CHECK(h != NULL);
    if (h) CHECK(nb_output_dtype(nb_graph_find_output(h, "an:0")) == NB_INT64);
    nb_graph_free(h);
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
