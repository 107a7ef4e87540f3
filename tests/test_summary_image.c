/*
 * test_summary_image.c — ImageSummary (tf.summary.image): the Summary bytes it
 * evaluates to (tags, sizes, colorspace) and the decoded PNG pixels against
 * TF's normalization worked out by hand; batches, max_outputs, empty batches,
 * unknown shapes, bad input with TF1's messages, merge_all, GraphDef round trip.
 */
#include "harness.h"
#include "ops/ops_impl.h"
#include "io/tensorboard.h"

#include <unistd.h>

/* Runs x (a summary op) with an optional feed and unpacks the Summary. */
static Tensorflow__Summary *run_summary(nb_graph *g, nb_output x, const nb_feed *f, int nf) {
    nb_tensor *t = eval1(g, x, f, nf);
    if (!t) return NULL;
    Tensorflow__Summary *s = tensorflow__summary__unpack(NULL, (size_t)nb_tensor_size(t), nb_tensor_data(t));
    nb_tensor_unref(t);
    return s;
}

/* Decodes a PNG value through a temporary file and nabla's image loader: the
 * pixels as 0..255 (channels 1 or 3). */
static bool decode_png(const Tensorflow__Summary__Image *img, int channels, int *px) {
    char path[] = "/tmp/nb_img_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return false;
    bool ok = write(fd, img->encoded_image_string.data, img->encoded_image_string.len) ==
              (ssize_t)img->encoded_image_string.len;
    close(fd);
    nb_error err;
    nb_tensor *t = ok ? nb_image_load(path, img->height, img->width, channels, &err) : NULL;
    unlink(path);
    if (!t) return false;
    for (int64_t i = 0; i < nb_tensor_size(t); i++) px[i] = (int)lround(nb_tensor_get_flat(t, i) * 255.0);
    nb_tensor_unref(t);
    return true;
}

TEST(uint8_batch_keeps_pixels_and_tags) {
    nb_graph *g = nb_graph_new();
    uint8_t v[3 * 2 * 3 * 3];
    for (int i = 0; i < (int)sizeof v; i++) v[i] = (uint8_t)(i * 5 + 3);
    nb_output x = nb_constant_array(g, NB_UINT8, 4, (int64_t[]){3, 2, 3, 3}, v, NULL);
    nb_output s = nb_summary_image(g, "img", x, 2);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(s.op), "img") && !strcmp(nb_op_type(s.op), "ImageSummary"));
    CHECK(nb_graph_find_op(g, "img/tag") != NULL);
    Tensorflow__Summary *sm = run_summary(g, s, NULL, 0);
    CHECK(sm && sm->n_value == 2);
    for (size_t i = 0; sm && i < sm->n_value && i < 2; i++) {
        const Tensorflow__Summary__Value *val = sm->value[i];
        char want[32];
        snprintf(want, sizeof want, "img/image/%zu", i);
        CHECK(!strcmp(val->tag, want));
        CHECK(val->value_case == TENSORFLOW__SUMMARY__VALUE__VALUE_IMAGE);
        CHECK(val->image->height == 2 && val->image->width == 3 && val->image->colorspace == 3);
        int px[18];
        CHECK(decode_png(val->image, 3, px));
        for (int k = 0; k < 18; k++) CHECK(px[k] == v[i * 18 + k]);
    }
    tensorflow__summary__free_unpacked(sm, NULL);
    nb_graph_free(g);
}

TEST(float_images_follow_tf_normalization) {
    nb_graph *g = nb_graph_new();
    /* grayscale with a negative value: scale 127 / max|v| = 127, offset 128 */
    nb_output a = nb_constant_array(g, NB_FLOAT32, 4, (int64_t[]){1, 2, 2, 1}, (float[]){-1, 0, 0.5f, NAN}, NULL);
    /* all >= 0: the largest maps to 255 */
    nb_output b = nb_constant_array(g, NB_FLOAT64, 4, (int64_t[]){1, 1, 3, 1}, (double[]){0, 1, 2}, NULL);
    /* RGB with a NaN channel: that pixel is opaque red */
    nb_output c = nb_constant_array(g, NB_FLOAT32, 4, (int64_t[]){1, 1, 2, 3}, (float[]){0.25f, 0.5f, 1, 1, NAN, 0}, NULL);
    nb_output sa = nb_summary_image(g, "a", a, 1), sb = nb_summary_image(g, "b", b, 3), sc = nb_summary_image(g, "c", c, 1);
    CHECK_GRAPH_OK(g);
    Tensorflow__Summary *ma = run_summary(g, sa, NULL, 0), *mb = run_summary(g, sb, NULL, 0), *mc = run_summary(g, sc, NULL, 0);
    CHECK(ma && mb && mc && ma->n_value == 1 && mb->n_value == 1 && mc->n_value == 1);
    if (ma && mb && mc && ma->n_value == 1 && mb->n_value == 1 && mc->n_value == 1) {
        CHECK(!strcmp(ma->value[0]->tag, "a/image") && !strcmp(mb->value[0]->tag, "b/image/0"));
        CHECK(ma->value[0]->image->colorspace == 1 && mc->value[0]->image->colorspace == 3);
        int px[6];
        CHECK(decode_png(ma->value[0]->image, 1, px));
        CHECK(px[0] == 1 && px[1] == 128 && px[2] == 191 && px[3] == 255); /* -127+128, 128, 191.5 truncated, bad */
        CHECK(decode_png(mb->value[0]->image, 1, px));
        CHECK(px[0] == 0 && px[1] == 127 && px[2] == 255);                 /* 127.5 truncated */
        CHECK(decode_png(mc->value[0]->image, 3, px));
        CHECK(px[0] == 63 && px[1] == 127 && px[2] == 255);                /* 255 / 1 scale */
        CHECK(px[3] == 255 && px[4] == 0 && px[5] == 0);
    }
    tensorflow__summary__free_unpacked(ma, NULL);
    tensorflow__summary__free_unpacked(mb, NULL);
    tensorflow__summary__free_unpacked(mc, NULL);
    nb_graph_free(g);
}

TEST(unknown_shapes_empty_batches_and_rgba) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_UINT8, NB_SHAPE_UNKNOWN_RANK, "x");
    nb_output s = nb_summary_image(g, "u", x, 3);
    CHECK_GRAPH_OK(g);
    nb_tensor *e = nb_tensor_new(NB_UINT8, 4, (int64_t[]){0, 2, 2, 1}, NULL);
    nb_tensor *t = eval1(g, s, &(nb_feed){x, e}, 1);
    CHECK(t && nb_tensor_size(t) == 0); /* a Summary with no values */
    nb_tensor_unref(t);
    nb_tensor *rgba = nb_tensor_new(NB_UINT8, 4, (int64_t[]){5, 1, 1, 4}, NULL);
    memset(nb_tensor_data(rgba), 200, 20);
    Tensorflow__Summary *sm = run_summary(g, s, &(nb_feed){x, rgba}, 1);
    CHECK(sm && sm->n_value == 3 && sm->value[2]->image->colorspace == 4 && !strcmp(sm->value[2]->tag, "u/image/2"));
    tensorflow__summary__free_unpacked(sm, NULL);
    nb_tensor *bad = nb_tensor_new(NB_UINT8, 4, (int64_t[]){1, 2, 2, 2}, NULL);
    memset(nb_tensor_data(bad), 0, 8);
    nb_session *ss = nb_session_new(g);
    CHECK(nb_session_eval(ss, s, &(nb_feed){x, bad}, 1) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(ss), "Tensor must be 4-D with last dim 1, 3, or 4, not [1,2,2,2]");
    nb_session_free(ss);
    nb_tensor_unref(bad);
    nb_tensor_unref(rgba);
    nb_tensor_unref(e);
    nb_graph_free(g);
}

TEST(image_summary_bad_input_messages) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3, 3), "x");
    CHECK(nb_output_is_nil(nb_summary_image(g, "img", x, 3)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Tensor must be 4-D with last dim 1, 3, or 4, not [2,3,3] for 'img' (op: "
                                      "'ImageSummary') with input shapes: [3], [2,3,3]."));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(1, 3, 3, 1), "x");
    CHECK(nb_output_is_nil(nb_summary_image(g, "img", x, 0)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Value for attr 'max_images' of 0 must be at least minimum 1 for 'img' (op: "
                                      "'ImageSummary') with input shapes: [3], [1,3,3,1]."));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_INT32, NB_SHAPE(1, 3, 3, 1), "x");
    CHECK(nb_output_is_nil(nb_summary_image(g, "img", x, 1)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "Value for attr 'T' of int32 is not in the list of allowed values: uint8, float, double");
    nb_graph_free(g);
}

TEST(image_summary_merge_all_and_graphdef) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2, 2, 1), "x");
    nb_summary_scalar(g, "avg", nb_reduce_mean(g, x, NULL, NB_ALL_AXES, false, NULL));
    nb_summary_image(g, "pics", x, 1);
    nb_output m = nb_summary_merge_all(g);
    CHECK_GRAPH_OK(g);
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 4, (int64_t[]){2, 2, 2, 1}, (float[]){0, 1, 2, 3, 4, 5, 6, 7});
    Tensorflow__Summary *sm = run_summary(g, m, &(nb_feed){x, xv}, 1);
    CHECK(sm && sm->n_value == 2);
    if (sm && sm->n_value == 2) {
        CHECK(!strcmp(sm->value[0]->tag, "avg") && !strcmp(sm->value[1]->tag, "pics/image"));
        CHECK(sm->value[1]->image->height == 2 && sm->value[1]->image->width == 2);
    }
    tensorflow__summary__free_unpacked(sm, NULL);
    void *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK_STATUS(nb_graph_to_graphdef(g, &a, &na), NB_OK);
    Tensorflow__GraphDef *gd = a ? tensorflow__graph_def__unpack(NULL, na, a) : NULL;
    bool found = false;
    for (size_t i = 0; gd && i < gd->n_node; i++) {
        if (strcmp(gd->node[i]->name, "pics")) continue;
        found = true;
        CHECK(!strcmp(gd->node[i]->op, "ImageSummary"));
        for (size_t j = 0; j < gd->node[i]->n_attr; j++)
            if (!strcmp(gd->node[i]->attr[j]->key, "max_images")) CHECK(gd->node[i]->attr[j]->value->i == 1);
    }
    CHECK(found);
    if (gd) tensorflow__graph_def__free_unpacked(gd, NULL);
    nb_graph *g2 = nb_graph_new();
    nb_error err;
    CHECK_STATUS(nb_graph_import_graphdef(g2, a, na, NULL, &err), NB_OK);
    CHECK_STATUS(nb_graph_to_graphdef(g2, &b, &nb), NB_OK);
    CHECK(na == nb && a && b && !memcmp(a, b, na));
    free(a);
    free(b);
    nb_graph_free(g2);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

/* The bad_color attr (issue 15): non-finite pixels take its first `depth`
 * entries; TF's default red when absent; kept through GraphDef. */
static const Tensorflow__TensorProto *bad_color_attr(const Tensorflow__GraphDef *gd, const char *node) {
    for (size_t i = 0; gd && i < gd->n_node; i++) {
        if (strcmp(gd->node[i]->name, node)) continue;
        for (size_t j = 0; j < gd->node[i]->n_attr; j++)
            if (!strcmp(gd->node[i]->attr[j]->key, "bad_color")) return gd->node[i]->attr[j]->value->tensor;
    }
    return NULL;
}

TEST(image_summary_bad_color) {
    nb_graph *g = nb_graph_new();
    /* RGB: pixel 1 has a NaN channel, pixel 2 an Inf; finite max 1 -> scale 255 */
    nb_output c = nb_constant_array(g, NB_FLOAT32, 4, (int64_t[]){1, 1, 3, 3},
                                    (float[]){0.25f, 0.5f, 1, 1, NAN, 0, INFINITY, 0.5f, 0.5f}, NULL);
    /* gray: one NaN, a one-entry bad_color */
    nb_output a = nb_constant_array(g, NB_FLOAT64, 4, (int64_t[]){1, 1, 2, 1}, (double[]){NAN, 2}, NULL);
    const uint8_t green[4] = {0, 255, 0, 255}, gray[1] = {77};
    nb_output sc = nb_summary_image_ex(g, "c", c, 1, green, 4), sa = nb_summary_image_ex(g, "a", a, 1, gray, 1);
    nb_output sd = nb_summary_image_ex(g, "d", c, 1, NULL, 0); /* the default */
    CHECK_GRAPH_OK(g);
    const int want_c[9] = {63, 127, 255, 0, 255, 0, 0, 255, 0}, want_d[9] = {63, 127, 255, 255, 0, 0, 255, 0, 0};
    const int want_a[2] = {77, 255};
    void *bytes = NULL;
    size_t nbytes = 0;
    CHECK_STATUS(nb_graph_to_graphdef(g, &bytes, &nbytes), NB_OK);
    nb_graph *g2 = nb_graph_new();
    nb_error err;
    CHECK_STATUS(nb_graph_import_graphdef(g2, bytes, nbytes, NULL, &err), NB_OK);
    for (int round = 0; round < 2; round++) {
        nb_graph *gg = round ? g2 : g;
        nb_output oc = round ? nb_graph_find_output(g2, "c:0") : sc, oa = round ? nb_graph_find_output(g2, "a:0") : sa;
        nb_output od = round ? nb_graph_find_output(g2, "d:0") : sd;
        Tensorflow__Summary *mc = run_summary(gg, oc, NULL, 0), *ma = run_summary(gg, oa, NULL, 0),
                            *md = run_summary(gg, od, NULL, 0);
        CHECK(mc && ma && md && mc->n_value == 1 && ma->n_value == 1 && md->n_value == 1);
        int px[9];
        if (mc && mc->n_value == 1 && decode_png(mc->value[0]->image, 3, px))
            for (int i = 0; i < 9; i++) CHECK(px[i] == want_c[i]);
        else
            CHECK(false);
        if (md && md->n_value == 1 && decode_png(md->value[0]->image, 3, px))
            for (int i = 0; i < 9; i++) CHECK(px[i] == want_d[i]);
        else
            CHECK(false);
        if (ma && ma->n_value == 1 && decode_png(ma->value[0]->image, 1, px))
            for (int i = 0; i < 2; i++) CHECK(px[i] == want_a[i]);
        else
            CHECK(false);
        tensorflow__summary__free_unpacked(mc, NULL);
        tensorflow__summary__free_unpacked(ma, NULL);
        tensorflow__summary__free_unpacked(md, NULL);
    }
    /* the attr as TF writes it: uint8 vector, values in int_val */
    Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(NULL, nbytes, bytes);
    CHECK(gd != NULL);
    const Tensorflow__TensorProto *tc = bad_color_attr(gd, "c"), *td = bad_color_attr(gd, "d");
    CHECK(tc && td);
    if (tc && td) {
        CHECK(tc->dtype == TENSORFLOW__DATA_TYPE__DT_UINT8 && td->dtype == TENSORFLOW__DATA_TYPE__DT_UINT8);
        CHECK(tc->tensor_shape && tc->tensor_shape->n_dim == 1 && tc->tensor_shape->dim[0]->size == 4);
        CHECK(tc->n_int_val == 4 && td->n_int_val == 4);
        for (int i = 0; tc->n_int_val == 4 && td->n_int_val == 4 && i < 4; i++) {
            CHECK(tc->int_val[i] == green[i]);
            CHECK(td->int_val[i] == (i == 0 || i == 3 ? 255 : 0));
        }
    }
    /* a float bad_color, and one shorter than the depth (checked at run, as TF) */
    if (gd && tc) {
        for (size_t i = 0; i < gd->n_node; i++) {
            if (strcmp(gd->node[i]->name, "c")) continue;
            for (size_t j = 0; j < gd->node[i]->n_attr; j++)
                if (!strcmp(gd->node[i]->attr[j]->key, "bad_color"))
                    gd->node[i]->attr[j]->value->tensor->dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
        }
        uint8_t packed[8192];
        size_t m = tensorflow__graph_def__get_packed_size(gd) <= sizeof packed ? tensorflow__graph_def__pack(gd, packed) : 0;
        CHECK(m > 0);
        nb_graph *g3 = nb_graph_new();
        CHECK_STATUS(nb_graph_import_graphdef(g3, packed, m, NULL, &err), NB_ERR_INVALID_ARGUMENT);
        CHECK_STR_CONTAINS(err.message, "node 'c' (op: 'ImageSummary'): attr 'bad_color' must be uint8");
        nb_graph_free(g3);
    }
    if (gd) tensorflow__graph_def__free_unpacked(gd, NULL);
    free(bytes);
    nb_graph_free(g2);
    nb_output s2 = nb_summary_image_ex(g, "short", c, 1, green, 2);
    CHECK_GRAPH_OK(g);
    nb_session *ss = nb_session_new(g);
    CHECK(nb_session_eval(ss, s2, NULL, 0) == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(ss), "expected depth <= bad_color.size, got depth = 3, bad_color.size = 2");
    nb_session_free(ss);
    CHECK(nb_output_is_nil(nb_summary_image_ex(g, "long", c, 1, (uint8_t[15]){0}, 15)));
    CHECK(!strcmp(nb_graph_errmsg(g), "nb_summary_image_ex: bad_color must have 1 to 14 entries, got 15"));
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
