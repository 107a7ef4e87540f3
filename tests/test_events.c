/*
 * test_events.c — TensorBoard support: CRC32C vectors, the reference's worked
 * bytes, a written run read back by nabla's reader and by `protoc --decode_raw`
 * / `protoc --decode` (Debian protobuf-compiler; missing protoc is a failure),
 * the HW2 GraphDef, summary ops, corrupt and truncated files, the log-dir walk.
 */
#include "harness.h"
#include "fixture_graphs.h"
#include "ops/ops_impl.h"
#include "io/tensorboard.h"

#include <errno.h>
#include <float.h>
#include <sys/stat.h>
#include <unistd.h>

uint32_t nbi_crc32c_table(const void *data, size_t n);

/*** helpers ***/

static char *tmpdir(void) {
    static char buf[16][64];
    static int k;
    char *b = buf[k++ % 16];
    snprintf(b, 64, "/tmp/nb_events_XXXXXX");
    return mkdtemp(b) ? b : NULL;
}

static uint8_t *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(sz > 0 ? (size_t)sz : 1);
    *n = fread(b, 1, (size_t)sz, f);
    fclose(f);
    return b;
}

static void write_all(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(p, 1, n, f);
    fclose(f);
}

static const char *protoc_path(void) {
    static char path[512];
    FILE *p = popen("command -v protoc", "r");
    if (!p) return NULL;
    char *r = fgets(path, sizeof path, p);
    pclose(p);
    if (!r) return NULL;
    path[strcspn(path, "\n")] = 0;
    return path[0] ? path : NULL;
}

/* Runs protoc on a payload file; returns its stdout (malloc'd) or NULL. */
static char *run_protoc(const char *args, const char *payload_file) {
    const char *protoc = protoc_path();
    if (!protoc) return NULL;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s < %s 2>&1", protoc, args, payload_file);
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    size_t got;
    while ((got = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (cap - n < 1024) out = realloc(out, cap *= 2);
    }
    out[n] = 0;
    int rc = pclose(p);
    if (rc != 0) {
        fprintf(stderr, "  protoc %s failed:\n%s\n", args, out);
        free(out);
        return NULL;
    }
    return out;
}

#define REQUIRE_PROTOC()                                                                       \
    do {                                                                                       \
        if (!protoc_path()) {                                                                  \
            FAILF("protoc not found: install Debian's protobuf-compiler (scripts/setup.sh)");  \
            return;                                                                            \
        }                                                                                      \
    } while (0)

static const char *src_dir(void) {
    const char *s = getenv("NB_SOURCE_DIR");
    return s ? s : "..";
}

static const Tensorflow__NodeDef *find_node(const Tensorflow__GraphDef *gd, const char *name) {
    for (size_t i = 0; i < gd->n_node; i++)
        if (!strcmp(gd->node[i]->name, name)) return gd->node[i];
    return NULL;
}

static const Tensorflow__AttrValue *find_attr(const Tensorflow__NodeDef *n, const char *key) {
    if (!n) return NULL;
    for (size_t i = 0; i < n->n_attr; i++)
        if (!strcmp(n->attr[i]->key, key)) return n->attr[i]->value;
    return NULL;
}

/*** CRC32C ***/

TEST(crc32c_vectors) {
    CHECK(nb_crc32c("123456789", 9) == 0xe3069283u);
    uint8_t z[32] = {0};
    CHECK(nb_crc32c(z, 32) == 0x8a9136aau);
    CHECK(nb_crc32c(NULL, 0) == 0);
    const char *s = "\x1a\x11" "CRC test, one two";
    CHECK(nb_crc32c_mask(nb_crc32c(s, 19)) == 0x5794d08au);
    uint8_t len42[8] = {42, 0, 0, 0, 0, 0, 0, 0};
    CHECK(nb_crc32c_mask(nb_crc32c(len42, 8)) == 0xf5918daeu);
    CHECK(nb_crc32c_unmask(nb_crc32c_mask(0xe3069283u)) == 0xe3069283u);
    /* extend over pieces equals the whole */
    CHECK(nb_crc32c_extend(nb_crc32c("1234", 4), "56789", 5) == 0xe3069283u);
    /* the SSE4.2 path (when present) and the table agree at every length/alignment */
    uint8_t buf[300];
    for (int i = 0; i < 300; i++) buf[i] = (uint8_t)(i * 131 + 7);
    int bad = 0;
    for (int off = 0; off < 9; off++)
        for (int n = 0; n + off <= 300; n += 7)
            bad += nb_crc32c(buf + off, (size_t)n) != nbi_crc32c_table(buf + off, (size_t)n);
    CHECK(bad == 0);
    CHECK(nbi_crc32c_table("123456789", 9) == 0xe3069283u);
}

/*** Worked bytes (reference §1.12) ***/

TEST(first_record_bytes) {
    size_t len;
    uint8_t *p = nbi_tb_first_event(1700000000.0, NULL, &len);
    static const uint8_t want[] = {0x09, 0x00, 0x00, 0x00, 0x40, 0xfc, 0x54, 0xd9, 0x41, 0x1a, 0x0d,
                                   'b', 'r', 'a', 'i', 'n', '.', 'E', 'v', 'e', 'n', 't', ':', '2'};
    CHECK(len == sizeof want);
    CHECK(p && len == sizeof want && !memcmp(p, want, len));
    uint8_t hdr[12], ftr[4];
    nbi_tb_record_header(hdr, len);
    nbi_tb_record_footer(ftr, p, len);
    static const uint8_t whdr[12] = {0x18, 0, 0, 0, 0, 0, 0, 0, 0xa3, 0x7f, 0x4b, 0x22};
    static const uint8_t wftr[4] = {0xec, 0xed, 0x8f, 0x9d};
    CHECK(!memcmp(hdr, whdr, 12));
    CHECK(!memcmp(ftr, wftr, 4));
    nbi_free(p);
    /* with the writer's source metadata: field 10 follows */
    p = nbi_tb_first_event(1700000000.0, "nabla.events_writer", &len);
    CHECK(p && len == sizeof want + 2 + 2 + 19 && p[sizeof want] == 0x52 && p[sizeof want + 2] == 0x0a);
    nbi_free(p);
}

TEST(scalar_payload_bytes) {
    Tensorflow__Event ev = TENSORFLOW__EVENT__INIT;
    size_t slen;
    uint8_t *sb = nbi_tb_scalar_summary("loss", 0.5f, &slen);
    Tensorflow__Summary *s = tensorflow__summary__unpack(NULL, slen, sb);
    CHECK(s != NULL);
    if (!s) return;
    ev.wall_time = 1700000000.0;
    ev.step = 5;
    ev.what_case = TENSORFLOW__EVENT__WHAT_SUMMARY;
    ev.summary = s;
    size_t len;
    uint8_t *p = nbi_tb_pack(&ev.base, &len);
    static const uint8_t tail[] = {0x10, 0x05, 0x2a, 0x0d, 0x0a, 0x0b, 0x0a, 0x04, 'l', 'o',
                                   's',  's',  0x15, 0x00, 0x00, 0x00, 0x3f};
    CHECK(len == 9 + sizeof tail);
    CHECK(p[0] == 0x09 && !memcmp(p + 1, "\x00\x00\x00\x40\xfc\x54\xd9\x41", 8));
    CHECK(len == 9 + sizeof tail && !memcmp(p + 9, tail, sizeof tail));
    /* the summary itself, as the ScalarSummary kernel emits it */
    CHECK(slen == 13 && !memcmp(sb, tail + 4, 13));
    nbi_free(p);
    nbi_free(sb);
    tensorflow__summary__free_unpacked(s, NULL);
}

/*** Histograms ***/

TEST(histogram_default_buckets) {
    double lim[NBI_TB_MAX_BUCKETS];
    int n = nbi_tb_default_buckets(lim);
    CHECK(n == 1551);
    CHECK(lim[0] == -DBL_MAX && lim[n - 1] == DBL_MAX && lim[n / 2] == 0.0);
    CHECK(lim[n / 2 + 1] == 1e-12 && lim[n / 2 - 1] == -1e-12);
    CHECK_NEAR(lim[n / 2 + 2], 1.1e-12, 1e-12);
    CHECK(lim[n - 2] < 1e20 && lim[n - 2] * 1.1 >= 1e20);
    int sorted = 1;
    for (int i = 1; i < n; i++) sorted &= lim[i] > lim[i - 1];
    CHECK(sorted);

    nb_tensor *t = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){5}, (float[]){0, 1, 2, -1, 1});
    Tensorflow__HistogramProto h;
    char msg[128];
    CHECK_STATUS(nbi_tb_histogram(t, &h, msg, sizeof msg), NB_OK);
    CHECK(h.min == -1 && h.max == 2 && h.num == 5 && h.sum == 3 && h.sum_squares == 7);
    double total = 0;
    for (size_t i = 0; i < h.n_bucket; i++) total += h.bucket[i];
    CHECK(total == 5);
    CHECK(h.n_bucket == h.n_bucket_limit && h.n_bucket < 20); /* empty runs collapsed */
    /* 1.0 is counted in the bucket whose limit is the first one above 1 */
    int found = 0;
    for (size_t i = 0; i < h.n_bucket; i++)
        if (h.bucket[i] == 2) found = h.bucket_limit[i] > 1.0 && h.bucket_limit[i] < 1.11;
    CHECK(found);
    nbi_tb_histogram_clear(&h);
    nb_tensor_unref(t);
    t = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){2}, (double[]){1, NAN});
    CHECK_STATUS(nbi_tb_histogram(t, &h, msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "Nan");
    nb_tensor_unref(t);
}

/*** GraphDef ***/

TEST(graphdef_hw2) {
    nb_graph *g = hw2_graph();
    CHECK_GRAPH_OK(g);
    void *bytes = NULL;
    size_t len = 0;
    CHECK_STATUS(nb_graph_to_graphdef(g, &bytes, &len), NB_OK);
    Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(NULL, len, bytes);
    CHECK(gd != NULL);
    if (!gd) return;
    CHECK(gd->n_node == (size_t)nb_graph_num_ops(g));
    CHECK(gd->versions && gd->versions->producer > 0);

    const Tensorflow__NodeDef *a = find_node(gd, "Input_placeholder/a");
    CHECK(a && !strcmp(a->op, "Placeholder") && a->n_input == 0);
    const Tensorflow__AttrValue *v = find_attr(a, "dtype");
    CHECK(v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_TYPE && v->type == TENSORFLOW__DATA_TYPE__DT_FLOAT);
    v = find_attr(a, "shape");
    CHECK(v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_SHAPE && v->shape->unknown_rank);

    const Tensorflow__NodeDef *p = find_node(gd, "Middle_section/prod_b");
    CHECK(p && !strcmp(p->op, "Prod") && p->n_input == 2);
    if (p && p->n_input == 2) {
        CHECK(!strcmp(p->input[0], "Input_placeholder/a"));
        CHECK(!strcmp(p->input[1], "Middle_section/range"));
        CHECK(find_node(gd, p->input[1]) && !strcmp(find_node(gd, p->input[1])->op, "Range"));
    }
    v = find_attr(p, "keep_dims");
    CHECK(v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_B && !v->b);
    v = find_attr(p, "Tidx");
    CHECK(v && v->type == TENSORFLOW__DATA_TYPE__DT_INT32);
    v = find_attr(p, "T");
    CHECK(v && v->type == TENSORFLOW__DATA_TYPE__DT_FLOAT);

    CHECK(find_node(gd, "Middle_section/Mean") && !strcmp(find_node(gd, "Middle_section/Mean")->op, "Mean"));
    CHECK(find_node(gd, "Middle_section/sum_a") && find_node(gd, "Middle_section/add_d"));
    const Tensorflow__NodeDef *f = find_node(gd, "Final_node/final_multiply_node");
    CHECK(f && !strcmp(f->op, "Mul") && f->n_input == 2);
    v = find_attr(f, "T");
    CHECK(v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_TYPE && v->type == TENSORFLOW__DATA_TYPE__DT_FLOAT);
    if (f && f->n_input == 2) {
        CHECK(!strcmp(f->input[0], "Middle_section/add_d"));
        CHECK(!strcmp(f->input[1], "Middle_section/sum_a"));
    }
    /* _output_shapes on every node, a list with one shape per output */
    int missing = 0;
    for (size_t i = 0; i < gd->n_node; i++) {
        v = find_attr(gd->node[i], "_output_shapes");
        nb_op *op = nb_graph_find_op(g, gd->node[i]->name);
        if (!v || v->value_case != TENSORFLOW__ATTR_VALUE__VALUE_LIST || !op ||
            v->list->n_shape != (size_t)nb_op_num_outputs(op))
            missing++;
        /* attr keys sorted */
        for (size_t k = 1; k < gd->node[i]->n_attr; k++)
            if (strcmp(gd->node[i]->attr[k - 1]->key, gd->node[i]->attr[k]->key) >= 0) missing++;
    }
    CHECK(missing == 0);
    v = find_attr(a, "_output_shapes");
    CHECK(v && v->list->n_shape == 1 && v->list->shape[0]->unknown_rank);
    v = find_attr(f, "_output_shapes");
    CHECK(v && v->list->n_shape == 1); /* unknown: the reduction axes are only known at run time */
    v = find_attr(find_node(gd, "Input_placeholder/a"), "_output_shapes");
    CHECK(v && v->list->n_shape == 1 && v->list->shape[0]->unknown_rank);
    tensorflow__graph_def__free_unpacked(gd, NULL);
    free(bytes);
    nb_graph_free(g);
}

TEST(graphdef_attrs_and_control_inputs) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
    nb_output W = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL), "W");
    nb_output m = nb_matmul(g, x, W, false, true, NULL);
    nb_output c = nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){2}, (float[]){1.5f, -2}, "bias");
    nb_output y = nb_add(g, m, c, NULL);
    nb_output s = nb_reduce_sum(g, y, (int[]){1}, 1, true, NULL);
    nb_cast(g, s, NB_INT32, NULL);
    nb_output init = nb_global_variables_initializer(g);
    CHECK_GRAPH_OK(g);
    void *bytes = NULL;
    size_t len = 0;
    CHECK_STATUS(nb_graph_to_graphdef(g, &bytes, &len), NB_OK);
    Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(NULL, len, bytes);
    CHECK(gd != NULL);
    if (!gd) return;
    const Tensorflow__NodeDef *n = find_node(gd, nb_op_name(init.op));
    CHECK(n && !strcmp(n->op, "NoOp") && n->n_input >= 1 && !strcmp(n->input[0], "^W/Assign"));
    const Tensorflow__AttrValue *v = find_attr(n, "_output_shapes");
    CHECK(v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_LIST && v->list->n_shape == 0);

    n = find_node(gd, "x");
    v = find_attr(n, "shape");
    CHECK(v && v->shape->n_dim == 2 && v->shape->dim[0]->size == -1 && v->shape->dim[1]->size == 3);
    n = find_node(gd, "W");
    CHECK(n && !strcmp(n->op, "VariableV2") && find_attr(n, "container") && find_attr(n, "shared_name"));
    v = find_attr(n, "shape");
    CHECK(v && v->shape->n_dim == 2 && v->shape->dim[0]->size == 2 && v->shape->dim[1]->size == 3);
    n = find_node(gd, "W/Assign");
    v = find_attr(n, "validate_shape");
    CHECK(v && v->b);
    v = find_attr(n, "use_locking");
    CHECK(v && v->b);
    v = find_attr(n, "_class");
    CHECK(v && v->list->n_s == 1 && v->list->s[0].len == 6 && !memcmp(v->list->s[0].data, "loc:@W", 6));
    n = find_node(gd, "W/read");
    CHECK(n && !strcmp(n->op, "Identity") && n->n_input == 1 && !strcmp(n->input[0], "W"));
    n = find_node(gd, "MatMul");
    v = find_attr(n, "transpose_b");
    CHECK(v && v->b);
    v = find_attr(n, "transpose_a");
    CHECK(v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_B && !v->b);
    n = find_node(gd, "bias");
    v = find_attr(n, "value");
    CHECK(v && v->tensor->dtype == TENSORFLOW__DATA_TYPE__DT_FLOAT && v->tensor->tensor_content.len == 8 &&
          v->tensor->tensor_shape->n_dim == 1 && v->tensor->tensor_shape->dim[0]->size == 2);
    n = find_node(gd, "zeros");
    v = find_attr(n, "value");
    CHECK(v && v->tensor->n_float_val == 1 && v->tensor->float_val[0] == 0 && v->tensor->tensor_shape->n_dim == 2);
    n = find_node(gd, "Sum");
    v = find_attr(n, "keep_dims");
    CHECK(v && v->b);
    CHECK(n && n->n_input == 2 && !strcmp(n->input[1], "Sum/reduction_indices"));
    n = find_node(gd, "Cast");
    v = find_attr(n, "DstT");
    CHECK(v && v->type == TENSORFLOW__DATA_TYPE__DT_INT32);
    v = find_attr(n, "SrcT");
    CHECK(v && v->type == TENSORFLOW__DATA_TYPE__DT_FLOAT);
    tensorflow__graph_def__free_unpacked(gd, NULL);
    free(bytes);
    nb_graph_free(g);
}

/*** Summary ops ***/

TEST(summary_ops_names_and_values) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(4), "x");
    nb_name_scope_push(g, "Optimization");
    nb_output cost = nb_reduce_mean(g, x, NULL, NB_ALL_AXES, false, "cost_value");
    nb_output s1 = nb_summary_scalar(g, "cost", cost);
    nb_output s1b = nb_summary_scalar(g, "cost", cost);
    nb_name_scope_pop(g);
    nb_output h = nb_summary_histogram(g, "weights", x);
    nb_output merged = nb_summary_merge_all(g);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_name(s1.op), "Optimization/cost"));
    CHECK(!strcmp(nb_op_type(s1.op), "ScalarSummary"));
    CHECK(!strcmp(nb_op_name(nb_op_input(s1.op, 0).op), "Optimization/cost/tags"));
    CHECK(!strcmp(nb_op_name(s1b.op), "Optimization/cost_1"));
    CHECK(!strcmp(nb_op_name(h.op), "weights"));
    CHECK(!strcmp(nb_op_name(nb_op_input(h.op, 0).op), "weights/tag"));
    CHECK(!strcmp(nb_op_name(merged.op), "Merge/MergeSummary"));
    CHECK(nb_op_num_inputs(merged.op) == 3);
    CHECK(nb_output_dtype(merged) == NB_UINT8);

    nb_tensor *X = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){4}, (float[]){1, 2, 3, 6});
    nb_session *s = nb_session_new(g);
    nb_tensor *out = nb_session_eval(s, merged, &(nb_feed){x, X}, 1);
    CHECK(out != NULL);
    if (!out) fprintf(stderr, "  %s\n", nb_session_errmsg(s));
    if (out) {
        Tensorflow__Summary *sm = tensorflow__summary__unpack(NULL, nb_tensor_nbytes(out), nb_tensor_data(out));
        CHECK(sm && sm->n_value == 3);
        if (sm && sm->n_value == 3) {
            CHECK(!strcmp(sm->value[0]->tag, "Optimization/cost"));
            CHECK(sm->value[0]->value_case == TENSORFLOW__SUMMARY__VALUE__VALUE_SIMPLE_VALUE &&
                  sm->value[0]->simple_value == 3.0f);
            CHECK(!strcmp(sm->value[1]->tag, "Optimization/cost_1"));
            CHECK(!strcmp(sm->value[2]->tag, "weights"));
            CHECK(sm->value[2]->value_case == TENSORFLOW__SUMMARY__VALUE__VALUE_HISTO &&
                  sm->value[2]->histo->num == 4 && sm->value[2]->histo->max == 6);
        }
        if (sm) tensorflow__summary__free_unpacked(sm, NULL);
    }
    /* GraphDef: the tag constant and the outputs are strings, as in TensorFlow */
    void *bytes;
    size_t len;
    CHECK_STATUS(nb_graph_to_graphdef(g, &bytes, &len), NB_OK);
    Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(NULL, len, bytes);
    const Tensorflow__NodeDef *n = gd ? find_node(gd, "Optimization/cost/tags") : NULL;
    const Tensorflow__AttrValue *v = find_attr(n, "value");
    CHECK(v && v->tensor->dtype == TENSORFLOW__DATA_TYPE__DT_STRING && v->tensor->n_string_val == 1 &&
          v->tensor->string_val[0].len == 17 && !memcmp(v->tensor->string_val[0].data, "Optimization/cost", 17));
    v = find_attr(n, "dtype");
    CHECK(v && v->type == TENSORFLOW__DATA_TYPE__DT_STRING);
    n = gd ? find_node(gd, "Optimization/cost") : NULL;
    v = find_attr(n, "T");
    CHECK(v && v->type == TENSORFLOW__DATA_TYPE__DT_FLOAT);
    v = find_attr(n, "_output_shapes");
    CHECK(v && v->list->n_shape == 1 && v->list->shape[0]->n_dim == 0 && !v->list->shape[0]->unknown_rank);
    n = gd ? find_node(gd, "Merge/MergeSummary") : NULL;
    v = find_attr(n, "N");
    CHECK(v && v->i == 3);
    if (gd) tensorflow__graph_def__free_unpacked(gd, NULL);
    free(bytes);

    /* a histogram of a NaN fails the run */
    nb_tensor *Y = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){4}, (float[]){1, NAN, 3, 6});
    nb_tensor *bad = nb_session_eval(s, h, &(nb_feed){x, Y}, 1);
    CHECK(bad == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(s), "Nan in summary histogram");
    nb_tensor_unref(Y);
    nb_tensor_unref(out);
    nb_tensor_unref(X);
    nb_session_free(s);
    /* no summaries: merge_all is nil without an error */
    nb_graph *g2 = nb_graph_new();
    CHECK(nb_output_is_nil(nb_summary_merge_all(g2)));
    CHECK_GRAPH_OK(g2);
    nb_graph_free(g2);
    nb_graph_free(g);
}

/*** A full run, read back ***/

/* Extracts each record's payload into dir/rec<i>.bin; returns the count. */
static int split_records(const char *file, const char *dir) {
    size_t n;
    uint8_t *b = read_all(file, &n);
    if (!b) return -1;
    int k = 0;
    size_t off = 0;
    while (off + 12 <= n) {
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--) len = (len << 8) | b[off + (size_t)i];
        if (off + 12 + len + 4 > n) break;
        char p[512];
        snprintf(p, sizeof p, "%s/rec%d.bin", dir, k++);
        write_all(p, b + off + 12, (size_t)len);
        off += 12 + (size_t)len + 4;
    }
    free(b);
    return off == n ? k : -1;
}

TEST(write_and_read_run) {
    REQUIRE_PROTOC();
    char *dir = tmpdir();
    CHECK(dir != NULL);
    if (!dir) return;
    char logdir[256];
    snprintf(logdir, sizeof logdir, "%s/logs/hw2", dir);
    nb_graph *g = hw2_graph();
    nb_error err;
    nb_summary_writer *w = nb_summary_writer_open(logdir, g, &err);
    CHECK(w != NULL);
    if (!w) {
        fprintf(stderr, "  %s\n", err.message);
        return;
    }
    const char *path = nb_summary_writer_path(w);
    const char *base = strrchr(path, '/') + 1;
    CHECK(!strncmp(base, "events.out.tfevents.", 20) && strlen(base) > 31 && base[30] == '.');
    for (int i = 0; i < 5; i++) CHECK_STATUS(nb_summary_writer_add_scalar(w, "loss", i, 1.0 / (i + 1)), NB_OK);
    CHECK_STATUS(nb_summary_writer_add_scalar(w, "nan_value", 5, NAN), NB_OK);
    nb_summary_writer_set_tensor_scalars(w, true);
    CHECK_STATUS(nb_summary_writer_add_scalar(w, "acc", 1, 0.25), NB_OK);
    CHECK_STATUS(nb_summary_writer_add_scalar(w, "acc", 2, 0.75), NB_OK);
    nb_tensor *hist = nb_tensor_random_normal(NB_FLOAT32, 1, (int64_t[]){1000}, 0, 1, 3);
    CHECK_STATUS(nb_summary_writer_add_histogram(w, "weights", 7, hist), NB_OK);
    uint8_t px[4 * 3 * 3];
    for (int i = 0; i < 36; i++) px[i] = (uint8_t)(i * 7);
    nb_tensor *img = nb_tensor_new(NB_UINT8, 3, (int64_t[]){4, 3, 3}, px);
    CHECK_STATUS(nb_summary_writer_add_image(w, "picture", 8, img), NB_OK);
    nb_tensor *fimg = nb_tensor_random_uniform(NB_FLOAT32, 2, (int64_t[]){5, 6}, -1, 1, 4);
    CHECK_STATUS(nb_summary_writer_add_image(w, "gray", 9, fimg), NB_OK);
    /* a Summary from the graph's summary ops */
    nb_graph *sg = nb_graph_new();
    nb_output sx = nb_placeholder(sg, NB_FLOAT32, NB_SHAPE_SCALAR, "x");
    nb_summary_scalar(sg, "from_op", sx);
    nb_output merged = nb_summary_merge_all(sg);
    nb_session *ss = nb_session_new(sg);
    nb_tensor *xv = nb_tensor_scalar(NB_FLOAT32, 42);
    nb_tensor *sv = nb_session_eval(ss, merged, &(nb_feed){sx, xv}, 1);
    CHECK(sv != NULL);
    CHECK_STATUS(nb_summary_writer_add_summary(w, sv, 10), NB_OK);
    CHECK_STATUS(nb_summary_writer_add_summary(w, xv, 10), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_summary_writer_flush(w), NB_OK);
    char *saved = strdup(path);
    CHECK_STATUS(nb_summary_writer_close(w), NB_OK);

    /* nabla's reader */
    nb_event_reader *r = nb_event_reader_open(saved, &err);
    CHECK(r != NULL);
    const nb_event *ev;
    int n = 0, scalars = 0, hists = 0, images = 0, graphs = 0, tensor_scalars = 0;
    bool nan_wall = false;
    while (r && nb_event_reader_next(r, &ev, &err) == NB_OK && ev) {
        if (!(nb_event_wall_time(ev) > 1.6e9) || isnan(nb_event_wall_time(ev))) nan_wall = true;
        if (n == 0) {
            CHECK(nb_event_get_kind(ev) == NB_EVENT_FILE_VERSION);
            CHECK(nb_event_file_version(ev) && !strcmp(nb_event_file_version(ev), "brain.Event:2"));
            CHECK(nb_event_offset(ev) == 0);
        }
        if (nb_event_get_kind(ev) == NB_EVENT_GRAPH) {
            graphs++;
            size_t gl;
            const void *gb = nb_event_graph_def(ev, &gl);
            Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(NULL, gl, gb);
            CHECK(gd && find_node(gd, "Final_node/final_multiply_node"));
            if (gd) tensorflow__graph_def__free_unpacked(gd, NULL);
        }
        for (int i = 0; i < nb_event_num_values(ev); i++) {
            const char *tag = nb_event_value_tag(ev, i);
            switch (nb_event_value_kind(ev, i)) {
            case NB_VALUE_SCALAR:
                scalars++;
                if (!strcmp(tag, "loss"))
                    CHECK_NEAR(nb_event_value_scalar(ev, i), 1.0 / (nb_event_step(ev) + 1), 1e-6);
                if (!strcmp(tag, "nan_value")) CHECK(isnan(nb_event_value_scalar(ev, i)));
                if (!strcmp(tag, "acc")) {
                    tensor_scalars++;
                    CHECK_NEAR(nb_event_value_scalar(ev, i), nb_event_step(ev) == 1 ? 0.25 : 0.75, 1e-7);
                    CHECK(!strcmp(nb_event_value_plugin(ev, i), nb_event_step(ev) == 1 ? "scalars" : ""));
                }
                if (!strcmp(tag, "from_op")) {
                    CHECK(nb_event_step(ev) == 10);
                    CHECK(nb_event_value_scalar(ev, i) == 42);
                }
                break;
            case NB_VALUE_HISTOGRAM: {
                hists++;
                double st[5];
                const double *lim, *cnt;
                int nbk = nb_event_value_histogram(ev, i, st, &lim, &cnt);
                CHECK(nbk > 10 && st[2] == 1000 && nb_event_step(ev) == 7);
                double tot = 0;
                for (int k = 0; k < nbk; k++) tot += cnt[k];
                CHECK(tot == 1000);
                break;
            }
            case NB_VALUE_IMAGE: {
                images++;
                size_t il;
                int hgt, wid, ch;
                const uint8_t *png = nb_event_value_image(ev, i, &il, &hgt, &wid, &ch);
                CHECK(png && il > 8 && !memcmp(png, "\x89PNG\r\n\x1a\n", 8));
                if (!strcmp(tag, "picture")) CHECK(hgt == 4 && wid == 3 && ch == 3);
                if (!strcmp(tag, "gray")) CHECK(hgt == 5 && wid == 6 && ch == 1);
                break;
            }
            default: FAILF("unexpected value kind for tag %s", tag);
            }
        }
        n++;
    }
    CHECK(err.code == NB_OK);
    CHECK(n == 1 + 1 + 6 + 2 + 1 + 2 + 1);
    CHECK(graphs == 1 && scalars == 9 && tensor_scalars == 2 && hists == 1 && images == 2);
    CHECK(!nan_wall);
    nb_event_reader_close(r);

    /* protoc: every payload decodes; field numbers as TensorFlow's */
    char recdir[300];
    snprintf(recdir, sizeof recdir, "%s/records", dir);
    mkdir(recdir, 0777);
    int k = split_records(saved, recdir);
    CHECK(k == n);
    char inc[1024];
    snprintf(inc, sizeof inc, "--decode=tensorflow.Event -I %s/proto %s/proto/event.proto", src_dir(), src_dir());
    for (int i = 0; i < k; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/rec%d.bin", recdir, i);
        char *raw = run_protoc("--decode_raw", p);
        CHECK(raw != NULL);
        if (!raw) continue;
        CHECK(!strncmp(raw, "1: 0x", 5)); /* wall_time, fixed64 */
        if (i == 0) {
            CHECK_STR_CONTAINS(raw, "3: \"brain.Event:2\"");
            CHECK_STR_CONTAINS(raw, "10 {\n  1: \"nabla.events_writer\"");
        }
        if (i == 1) CHECK_STR_CONTAINS(raw, "4 {\n  1 {\n    1: \"Input_placeholder/a\"");  /* graph_def: node 1, name 1 */
        if (i == 2) {
            CHECK_STR_CONTAINS(raw, "5 {\n  1 {\n    1: \"loss\"\n    2: 0x3f800000\n");
        }
        free(raw);
        char *dec = run_protoc(inc, p);
        CHECK(dec != NULL);
        if (dec && i == 8) CHECK_STR_CONTAINS(dec, "plugin_name: \"scalars\"");
        if (dec && i == 10) CHECK_STR_CONTAINS(dec, "histo {");
        if (dec && i == 11) CHECK_STR_CONTAINS(dec, "colorspace: 3");
        free(dec);
    }
    /* the GraphDef decodes with TensorFlow's message names */
    {
        char p[512], gp[512];
        snprintf(p, sizeof p, "%s/rec1.bin", recdir);
        Tensorflow__Event *e1 = NULL;
        size_t l1;
        uint8_t *b1 = read_all(p, &l1);
        if (b1) e1 = tensorflow__event__unpack(NULL, l1, b1);
        CHECK(e1 && e1->what_case == TENSORFLOW__EVENT__WHAT_GRAPH_DEF);
        if (e1) {
            snprintf(gp, sizeof gp, "%s/graph.bin", recdir);
            write_all(gp, e1->graph_def.data, e1->graph_def.len);
            snprintf(inc, sizeof inc, "--decode=tensorflow.GraphDef -I %s/proto %s/proto/graph.proto", src_dir(),
                     src_dir());
            char *dec = run_protoc(inc, gp);
            CHECK(dec != NULL);
            if (dec) {
                CHECK_STR_CONTAINS(dec, "name: \"Input_placeholder/a\"\n  op: \"Placeholder\"");
                CHECK_STR_CONTAINS(dec, "unknown_rank: true");
                CHECK_STR_CONTAINS(dec, "name: \"Middle_section/prod_b\"\n  op: \"Prod\"\n  input: \"Input_placeholder/a\"");
                CHECK_STR_CONTAINS(dec, "key: \"keep_dims\"\n    value {\n      b: false");
                CHECK_STR_CONTAINS(dec, "type: DT_FLOAT");
                CHECK_STR_CONTAINS(dec, "key: \"_output_shapes\"");
                CHECK_STR_CONTAINS(dec, "producer: 27");
            }
            free(dec);
            char *raw = run_protoc("--decode_raw", gp);
            CHECK(raw != NULL);
            if (raw) CHECK_STR_CONTAINS(raw, "1 {\n  1: \"Input_placeholder/a\"\n");
            free(raw);
            tensorflow__event__free_unpacked(e1, NULL);
        }
        free(b1);
    }
    free(saved);
    nb_tensor_unref(hist);
    nb_tensor_unref(img);
    nb_tensor_unref(fimg);
    nb_tensor_unref(xv);
    nb_tensor_unref(sv);
    nb_session_free(ss);
    nb_graph_free(sg);
    nb_graph_free(g);
}

/*** Damaged files ***/

/* Writes a file of 4 scalar events; returns its path (malloc'd) and record offsets. */
static char *four_events(uint64_t off[6]) {
    char *dir = tmpdir();
    nb_error err;
    nb_summary_writer *w = nb_summary_writer_open(dir, NULL, &err);
    if (!w) return NULL;
    for (int i = 0; i < 4; i++) nb_summary_writer_add_scalar(w, "x", i, i);
    char *p = strdup(nb_summary_writer_path(w));
    nb_summary_writer_close(w);
    nb_event_reader *r = nb_event_reader_open(p, &err);
    const nb_event *ev;
    int n = 0;
    off[0] = 0;
    while (nb_event_reader_next(r, &ev, &err) == NB_OK && ev && n < 5) off[++n] = nb_event_reader_offset(r);
    nb_event_reader_close(r);
    return n == 5 ? p : NULL;
}

/* Reads all; returns the count of good records and the error. */
static int read_until_error(const char *p, nb_error *err) {
    nb_event_reader *r = nb_event_reader_open(p, err);
    if (!r) return -1;
    const nb_event *ev;
    int n = 0;
    while (nb_event_reader_next(r, &ev, err) == NB_OK && ev) n++;
    nb_event_reader_close(r);
    return n;
}

TEST(corrupt_and_truncated_files) {
    uint64_t off[6];
    char *p = four_events(off);
    CHECK(p != NULL);
    if (!p) return;
    size_t n = 0;
    uint8_t *b = read_all(p, &n);
    CHECK(off[5] == n);
    nb_error err;
    char want[64];

    /* a flipped payload byte in record 3: records 0..2 read, then the error */
    b[off[3] + 14] ^= 0x40;
    write_all(p, b, n);
    CHECK(read_until_error(p, &err) == 3);
    CHECK(err.code == NB_ERR_IO);
    snprintf(want, sizeof want, "at byte %llu", (unsigned long long)off[3]);
    CHECK_STR_CONTAINS(err.message, want);
    CHECK_STR_CONTAINS(err.message, "data CRC");
    CHECK_STR_CONTAINS(err.message, p);
    b[off[3] + 14] ^= 0x40;

    /* a damaged length */
    b[off[2] + 1] ^= 1;
    write_all(p, b, n);
    CHECK(read_until_error(p, &err) == 2);
    CHECK_STR_CONTAINS(err.message, "length CRC");
    snprintf(want, sizeof want, "at byte %llu", (unsigned long long)off[2]);
    CHECK_STR_CONTAINS(err.message, want);
    b[off[2] + 1] ^= 1;

    /* truncated in the middle of the last record, and inside a header */
    write_all(p, b, n - 3);
    CHECK(read_until_error(p, &err) == 4);
    CHECK_STR_CONTAINS(err.message, "truncated");
    snprintf(want, sizeof want, "at byte %llu", (unsigned long long)off[4]);
    CHECK_STR_CONTAINS(err.message, want);
    write_all(p, b, off[4] + 5);
    CHECK(read_until_error(p, &err) == 4);
    CHECK_STR_CONTAINS(err.message, "truncated record header");

    /* valid framing around bytes that are no Event */
    uint8_t junk[5] = {0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t hdr[12], ftr[4];
    nbi_tb_record_header(hdr, sizeof junk);
    nbi_tb_record_footer(ftr, junk, sizeof junk);
    FILE *f = fopen(p, "wb");
    fwrite(b, 1, off[1], f);
    fwrite(hdr, 1, 12, f);
    fwrite(junk, 1, 5, f);
    fwrite(ftr, 1, 4, f);
    fclose(f);
    CHECK(read_until_error(p, &err) == 1);
    CHECK_STR_CONTAINS(err.message, "not an Event protobuf");

    /* a NaN wall time is refused by the reader (and never written) */
    Tensorflow__Event ev = TENSORFLOW__EVENT__INIT;
    ev.wall_time = NAN;
    size_t len;
    uint8_t *payload = nbi_tb_pack(&ev.base, &len);
    nbi_tb_record_header(hdr, len);
    nbi_tb_record_footer(ftr, payload, len);
    f = fopen(p, "wb");
    fwrite(hdr, 1, 12, f);
    fwrite(payload, 1, len, f);
    fwrite(ftr, 1, 4, f);
    fclose(f);
    CHECK(read_until_error(p, &err) == 0);
    CHECK_STR_CONTAINS(err.message, "NaN wall_time");
    nbi_free(payload);

    CHECK(nb_event_reader_open("/nonexistent/events.out.tfevents.x", &err) == NULL);
    CHECK(err.code == NB_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.message, "/nonexistent/events.out.tfevents.x");
    free(b);
    free(p);
}

TEST(unwritable_logdir) {
    char *dir = tmpdir();
    char file[256], logdir[300];
    snprintf(file, sizeof file, "%s/plain_file", dir);
    write_all(file, "x", 1);
    snprintf(logdir, sizeof logdir, "%s/sub", file);
    nb_error err;
    nb_summary_writer *w = nb_summary_writer_open(logdir, NULL, &err);
    CHECK(w == NULL);
    CHECK(err.code == NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, logdir);
    CHECK(nb_summary_writer_open(file, NULL, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "plain_file");
    CHECK(nb_summary_writer_open("", NULL, &err) == NULL);
    CHECK_STATUS(nb_summary_writer_close(NULL), NB_OK);
    /* a graph in error cannot be written */
    nb_graph *g = nb_graph_new();
    nb_matmul(g, nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL),
              nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL), false, false, NULL);
    CHECK(nb_graph_status(g) != NB_OK);
    void *bytes;
    size_t len;
    CHECK_STATUS(nb_graph_to_graphdef(g, &bytes, &len), NB_ERR_INVALID_ARGUMENT);
    CHECK(nb_summary_writer_open(dir, g, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "Dimensions must be equal");
    nb_graph_free(g);
}

/*** UTF-8: tags and node names are protobuf strings ***/

TEST(utf8_validator) {
    /* (bytes, offset of the first invalid byte or -1), decided by RFC 3629's table */
    static const struct {
        const char *s;
        long bad;
    } cases[] = {
        {"", -1},
        {"loss", -1},
        {"caf\xc3\xa9", -1},              /* U+00E9 */
        {"\xe6\x8d\x9f\xe5\xa4\xb1", -1}, /* two CJK characters */
        {"\xf0\x9f\x98\x80", -1},         /* U+1F600 */
        {"\xef\xbf\xbf", -1},             /* U+FFFF */
        {"\xf4\x8f\xbf\xbf", -1},         /* U+10FFFF, the last code point */
        {"a\xff" "b", 1},
        {"\x80", 0},                      /* a lone continuation byte */
        {"ab\xc3", 2},                    /* cut short */
        {"\xc3(", 0},
        {"\xc0\xaf", 0},                  /* overlong '/' */
        {"\xc1\xbf", 0},
        {"\xe0\x80\xaf", 0},              /* overlong */
        {"\xf0\x80\x80\xaf", 0},          /* overlong */
        {"x\xed\xa0\x80", 1},             /* U+D800, a surrogate */
        {"\xed\x9f\xbf", -1},             /* U+D7FF, just below */
        {"\xf4\x90\x80\x80", 0},          /* U+110000 */
        {"\xf5\x80\x80\x80", 0},
        {"\xe2\x82", 0},                  /* cut short */
        {"\xe2\x82\xac\xe2(", 3},         /* a good euro sign, then a bad one */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t got = nbi_utf8_invalid_at(cases[i].s);
        long g = got == (size_t)-1 ? -1 : (long)got;
        if (g != cases[i].bad) FAILF("case %zu: invalid at %ld, expected %ld", i, g, cases[i].bad);
        checks_++;
    }
    char show[32];
    nbi_utf8_show("a\xff\n\xc3\xa9", show, sizeof show);
    CHECK(!strcmp(show, "a\\xff\\x0a\xc3\xa9"));
}

TEST(tags_must_be_utf8) {
    char *dir = tmpdir();
    nb_error err;
    nb_summary_writer *w = nb_summary_writer_open(dir, NULL, &err);
    CHECK(w != NULL);
    if (!w) return;
    float px[4] = {0, 1, 2, 3};
    nb_tensor *img = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){2, 2}, px);
    CHECK_STATUS(nb_summary_writer_add_scalar(w, "loss\xff", 1, 0.5), NB_ERR_INVALID_ARGUMENT);
    CHECK(!strcmp(nb_summary_writer_errmsg(w), "a scalar tag 'loss\\xff' is not valid UTF-8 (byte 4 is 0xff); TensorBoard cannot read it"));
    CHECK_STATUS(nb_summary_writer_add_histogram(w, "\xc0\xafh", 1, img), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_summary_writer_errmsg(w), "a histogram tag '\\xc0\\xafh' is not valid UTF-8 (byte 0 is 0xc0)");
    CHECK_STATUS(nb_summary_writer_add_image(w, "im\xed\xa0\x80", 1, img), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_summary_writer_errmsg(w), "an image tag 'im\\xed\\xa0\\x80' is not valid UTF-8 (byte 2 is 0xed)");
    /* valid UTF-8 beyond ASCII is written and read back byte for byte */
    CHECK_STATUS(nb_summary_writer_add_scalar(w, "co\xc3\xbbt/\xe6\x8d\x9f", 2, 0.25), NB_OK);
    /* a Summary (as summary ops make) with a bad tag in its second value */
    Tensorflow__Summary sm = TENSORFLOW__SUMMARY__INIT;
    Tensorflow__Summary__Value v1 = TENSORFLOW__SUMMARY__VALUE__INIT, v2 = TENSORFLOW__SUMMARY__VALUE__INIT;
    Tensorflow__Summary__Value *vs[2] = {&v1, &v2};
    char t1[] = "fine", t2[] = "bad\x80";
    v1.tag = t1;
    v1.value_case = v2.value_case = TENSORFLOW__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
    v2.tag = t2;
    sm.n_value = 2;
    sm.value = vs;
    size_t len = 0;
    uint8_t *bytes = nbi_tb_pack(&sm.base, &len);
    int64_t n = (int64_t)len;
    nb_tensor *st = nb_tensor_new(NB_UINT8, 1, &n, bytes);
    nbi_free(bytes);
    CHECK_STATUS(nb_summary_writer_add_summary(w, st, 3), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_summary_writer_errmsg(w), "tag 'bad\\x80' is not valid UTF-8 (byte 3 is 0x80)");
    nb_tensor_unref(st);
    nb_tensor_unref(img);
    char path[300];
    snprintf(path, sizeof path, "%s", nb_summary_writer_path(w));
    CHECK_STATUS(nb_summary_writer_close(w), NB_OK);
    /* only the first event and the valid scalar are in the file */
    nb_event_reader *r = nb_event_reader_open(path, &err);
    CHECK(r != NULL);
    int events = 0, values = 0;
    const nb_event *ev;
    while (r && nb_event_reader_next(r, &ev, &err) == NB_OK && ev) {
        events++;
        for (int i = 0; i < nb_event_num_values(ev); i++) {
            values++;
            CHECK(!strcmp(nb_event_value_tag(ev, i), "co\xc3\xbbt/\xe6\x8d\x9f"));
            CHECK(nb_event_value_scalar(ev, i) == 0.25);
        }
    }
    CHECK(events == 2 && values == 1);
    nb_event_reader_close(r);
}

TEST(summary_op_tag_must_be_utf8) {
    /* A ScalarSummary whose tags input is fed bytes that are not UTF-8. */
    nb_graph *g = nb_graph_new();
    nb_output tags = nb_placeholder(g, NB_UINT8, NB_SHAPE(NB_DIM_UNKNOWN), "tags");
    nb_output x = nb_constant_f32(g, 1.0f, "x");
    nb_op *op = nbi_op_new(g, NBI_OP_SCALAR_SUMMARY, "s", NULL, (nb_output[]){tags, x}, 2);
    nb_output s = op ? nbi_op_finish(op) : nb_nil;
    CHECK_GRAPH_OK(g);
    nb_session *sess = nb_session_new(g);
    int64_t n = 4;
    nb_tensor *bad = nb_tensor_new(NB_UINT8, 1, &n, "ab\xfe" "c");
    nb_tensor *out = nb_session_eval(sess, s, &(nb_feed){tags, bad}, 1);
    CHECK(out == NULL);
    CHECK_STR_CONTAINS(nb_session_errmsg(sess), "tag 'ab\\xfec' is not valid UTF-8 (byte 2 is 0xfe)");
    nb_tensor_unref(out);
    nb_tensor *good = nb_tensor_new(NB_UINT8, 1, &n, "ab\xc3\xa9");
    out = nb_session_eval(sess, s, &(nb_feed){tags, good}, 1);
    CHECK(out != NULL);
    nb_tensor_unref(out);
    nb_tensor_unref(bad);
    nb_tensor_unref(good);
    nb_session_free(sess);
    nb_graph_free(g);
}

TEST(node_names_must_be_utf8) {
    /* a scope ending in '/' is taken verbatim: the name check must still see it */
    nb_graph *g = nb_graph_new();
    nb_name_scope_push(g, "sc\xe9/");
    nb_constant_f32(g, 1.0f, "c");
    nb_name_scope_pop(g);
    CHECK_STATUS(nb_graph_status(g), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "node name 'sc\\xe9/c' is not valid UTF-8 (byte 2 is 0xe9)");
    nb_graph_free(g);
    /* ... and a GraphDef node whose name is not UTF-8 stays rejected */
    g = nb_graph_new();
    nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2), "pqrs");
    void *gd = NULL;
    size_t len = 0;
    CHECK_STATUS(nb_graph_to_graphdef(g, &gd, &len), NB_OK);
    nb_graph_free(g);
    unsigned char *b = gd;
    for (size_t i = 0; b && i + 4 <= len; i++)
        if (!memcmp(b + i, "pqrs", 4)) b[i + 2] = 0xff;
    g = nb_graph_new();
    nb_error err;
    CHECK_STATUS(nb_graph_import_graphdef(g, gd, len, NULL, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "is not a valid node name"); /* the ASCII rule catches it first */
    free(gd);
    nb_graph_free(g);
    /* names in UTF-8 beyond ASCII through a verbatim scope are fine */
    g = nb_graph_new();
    nb_name_scope_push(g, "\xc3\xa9t\xc3\xa9/");
    nb_output c = nb_constant_f32(g, 1.0f, "c");
    nb_name_scope_pop(g);
    CHECK_GRAPH_OK(g);
    if (c.op) CHECK(!strcmp(nb_op_name(c.op), "\xc3\xa9t\xc3\xa9/c"));
    nb_graph_free(g);
}

/*** Log directory walk ***/

TEST(list_runs) {
    char *dir = tmpdir();
    char sub[300];
    nb_error err;
    const char *runs_in[] = {"", "train", "fold_1/inner", "fold_2"};
    for (int i = 0; i < 4; i++) {
        snprintf(sub, sizeof sub, "%s/%s", dir, runs_in[i]);
        nb_summary_writer *w = nb_summary_writer_open(sub, NULL, &err);
        CHECK(w != NULL);
        nb_summary_writer_close(w);
    }
    /* a second file in the same run, and a file that is no event file */
    snprintf(sub, sizeof sub, "%s/train", dir);
    nb_summary_writer_close(nb_summary_writer_open(sub, NULL, &err));
    snprintf(sub, sizeof sub, "%s/train/notes.txt", dir);
    write_all(sub, "x", 1);
    snprintf(sub, sizeof sub, "%s/empty", dir);
    mkdir(sub, 0777);
    char **files, **runs;
    int n;
    CHECK_STATUS(nb_events_list_files(dir, &files, &runs, &n, &err), NB_OK);
    CHECK(n == 5);
    if (n == 5) {
        CHECK(!strcmp(runs[0], "."));
        CHECK(!strcmp(runs[1], "fold_1/inner"));
        CHECK(!strcmp(runs[2], "fold_2"));
        CHECK(!strcmp(runs[3], "train") && !strcmp(runs[4], "train"));
        CHECK(strcmp(files[3], files[4]) < 0);
        CHECK(strstr(files[1], "/fold_1/inner/events.out.tfevents.") != NULL);
    }
    /* a single file lists itself */
    char **f1, **r1;
    int n1;
    if (n >= 1) {
        CHECK_STATUS(nb_events_list_files(files[0], &f1, &r1, &n1, &err), NB_OK);
        CHECK(n1 == 1 && !strcmp(f1[0], files[0]));
        nb_events_list_free(f1, r1, n1);
    }
    nb_events_list_free(files, runs, n);
    snprintf(sub, sizeof sub, "%s/empty", dir);
    CHECK_STATUS(nb_events_list_files(sub, &files, &runs, &n, &err), NB_ERR_NOT_FOUND);
    CHECK_STATUS(nb_events_list_files("/nonexistent_nb_dir", &files, &runs, &n, &err), NB_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.message, "/nonexistent_nb_dir");
}

/* Symbolic links are followed once: two links to the logdir itself (which made
 * the walk run forever), a link to an ancestor further down, a second name for a
 * run and for a file, a dangling link, and a link to a run outside the tree. */
TEST(list_runs_symlink_cycles) {
    char *dir = tmpdir(), *other = tmpdir();
    char p[400], q[400];
    nb_error err;
    snprintf(p, sizeof p, "%s/train", dir);
    nb_summary_writer *w = nb_summary_writer_open(p, NULL, &err);
    CHECK(w != NULL);
    char train_file[400];
    snprintf(train_file, sizeof train_file, "%s", w ? nb_summary_writer_path(w) : "");
    nb_summary_writer_close(w);
    nb_summary_writer_close(nb_summary_writer_open(dir, NULL, &err));
    nb_summary_writer_close(nb_summary_writer_open(other, NULL, &err));
    snprintf(p, sizeof p, "%s/a", dir);
    CHECK(symlink(".", p) == 0);
    snprintf(p, sizeof p, "%s/b", dir);
    CHECK(symlink(".", p) == 0);
    snprintf(p, sizeof p, "%s/alias", dir);
    CHECK(symlink("train", p) == 0);
    snprintf(p, sizeof p, "%s/train/up", dir);
    CHECK(symlink("..", p) == 0);
    snprintf(p, sizeof p, "%s/train/events.out.tfevents.same", dir);
    CHECK(symlink(train_file, p) == 0);
    snprintf(p, sizeof p, "%s/dangling.tfevents", dir);
    CHECK(symlink("/nonexistent_nb_target", p) == 0);
    snprintf(p, sizeof p, "%s/ext", dir);
    CHECK(symlink(other, p) == 0);
    char **files, **runs;
    int n = 0;
    alarm(120); /* the walk once looped forever here: end the test instead of hanging */
    CHECK_STATUS(nb_events_list_files(dir, &files, &runs, &n, &err), NB_OK);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(!strcmp(runs[0], "."));
        CHECK(!strcmp(runs[1], "ext"));
        CHECK(!strcmp(runs[2], "train"));
        CHECK(!strcmp(files[2], train_file));
        snprintf(q, sizeof q, "%s/ext/", dir);
        CHECK(!strncmp(files[1], q, strlen(q)));
    }
    nb_events_list_free(files, runs, n);
    /* the same with the logdir named through a link to it */
    snprintf(p, sizeof p, "%s/a", dir);
    n = 0;
    CHECK_STATUS(nb_events_list_files(p, &files, &runs, &n, &err), NB_OK);
    CHECK(n == 3);
    nb_events_list_free(files, runs, n);
    alarm(0);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
