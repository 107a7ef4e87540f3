/*
 * fuzz_graphdef.c — nb_graph_import_graphdef on hostile GraphDefs, two ways:
 *   - an input whose first byte is 0xA5 is a recipe: the rest of the bytes build
 *     a GraphDef node by node (Consts, Placeholders and any op nabla has, every
 *     attr of the op's table row given a value — often an extreme one: 0, -1,
 *     2^31-1, 2^31, 2^63-1, INT64_MIN — and now and then one of the wrong kind);
 *   - any other input is taken as GraphDef bytes as they are.
 * A graph that imports is exported again, then its placeholders are fed small
 * tensors and up to 16 of its ops are run one by one: every failure must be a
 * status with a message, every value must match its op's static shape.
 */
#include "fuzz_extreme.h"
#include "graphdef/graphdef.h"

/*** A growing protobuf buffer ***/

typedef struct {
    uint8_t *b;
    size_t n, cap;
} pbuf;

static void pb_bytes(pbuf *o, const void *d, size_t n) {
    if (o->n + n > o->cap) {
        size_t cap = (o->n + n) * 2 + 64;
        uint8_t *nb = realloc(o->b, cap);
        if (!nb) abort();
        o->b = nb;
        o->cap = cap;
    }
    if (n) memcpy(o->b + o->n, d, n);
    o->n += n;
}
static void pb_varint(pbuf *o, uint64_t v) {
    uint8_t t[10];
    size_t k = 0;
    for (; v >= 0x80; v >>= 7) t[k++] = (uint8_t)(v | 0x80);
    t[k++] = (uint8_t)v;
    pb_bytes(o, t, k);
}
static void pb_key(pbuf *o, int field, int wt) { pb_varint(o, (uint64_t)field << 3 | (uint64_t)wt); }
static void pb_len(pbuf *o, int field, const void *d, size_t n) {
    pb_key(o, field, 2);
    pb_varint(o, n);
    pb_bytes(o, d, n);
}
static void pb_str(pbuf *o, int field, const char *s) { pb_len(o, field, s, strlen(s)); }
static void pb_sub(pbuf *o, int field, pbuf *m) {
    pb_len(o, field, m->b, m->n);
    free(m->b);
    *m = (pbuf){0};
}
static void pb_int(pbuf *o, int field, int64_t v) {
    pb_key(o, field, 0);
    pb_varint(o, (uint64_t)v);
}
static void pb_float(pbuf *o, int field, float f) {
    pb_key(o, field, 5);
    pb_bytes(o, &f, 4);
}

/*** Drawn values ***/

static int draw_dtype(reader *r) {
    /* mostly float, int32 and int64; now and then double, bool, uint8, string, none, a ref */
    static const int dts[] = {1, 1, 1, 1, 1, 3, 3, 3, 9, 9, 9, 2, 10, 4, 7, 0, 101};
    unsigned b = take(r);
    return dts[b % (sizeof dts / sizeof *dts)];
}

/* TensorShapeProto: rank 0-3 (or unknown rank) of drawn dims. */
static void draw_shape(pbuf *o, reader *r) {
    unsigned b = take(r);
    if (b == 0xff) {
        pb_int(o, 3, 1); /* unknown_rank */
        return;
    }
    int rank = (int)(b % 4);
    for (int i = 0; i < rank; i++) {
        pbuf d = {0};
        pb_int(&d, 1, draw(r));
        pb_sub(o, 2, &d);
    }
}

/* TensorProto: a dtype, a drawn shape and up to 8 drawn values (or raw content). */
static void draw_tensor(pbuf *o, reader *r) {
    int dt = draw_dtype(r);
    pb_int(o, 1, dt);
    pbuf sh = {0};
    draw_shape(&sh, r);
    pb_sub(o, 2, &sh);
    unsigned b = take(r);
    int n = (int)(b % 9);
    if (b & 0x80) { /* tensor_content of n * 4 drawn bytes */
        uint8_t raw[32];
        for (int i = 0; i < 4 * n; i++) raw[i] = (uint8_t)take(r);
        pb_len(o, 4, raw, (size_t)(4 * n));
        return;
    }
    for (int i = 0; i < n; i++) {
        int64_t v = draw(r);
        switch (dt) {
        case 1: pb_float(o, 5, (float)v); break;
        case 2: pb_key(o, 6, 1); { double d = (double)v; pb_bytes(o, &d, 8); } break;
        case 9: pb_int(o, 10, v); break;
        case 10: pb_int(o, 11, v & 1); break;
        case 7: pb_str(o, 8, "tag"); break;
        default: pb_int(o, 7, v); break;
        }
    }
}

static void attr_entry(pbuf *node, const char *key, pbuf *val) {
    pbuf e = {0};
    pb_str(&e, 1, key);
    pb_sub(&e, 2, val);
    pb_sub(node, 5, &e);
}

/* An AttrValue for a table row, usually of the right kind. */
static void draw_attr(pbuf *v, nbi_attr_kind src, reader *r) {
    unsigned b = take(r);
    if ((b & 0x1f) == 0x1f) src = (nbi_attr_kind)((b >> 5) * 4 % (NBI_A_VALUE_DTYPE + 1)); /* another kind */
    switch (src) {
    case NBI_A_T_IN0: case NBI_A_T_IN1: case NBI_A_T_IN2: case NBI_A_T_LAST: case NBI_A_T_OUT0: case NBI_A_DTYPE:
    case NBI_A_OUT_TYPE: case NBI_A_VALUE_DTYPE:
    case NBI_A_INT32: case NBI_A_INT64:
        pb_int(v, 6, draw_dtype(r));
        break;
    case NBI_A_SHAPE: {
        pbuf s = {0};
        draw_shape(&s, r);
        pb_sub(v, 7, &s);
        break;
    }
    case NBI_A_VALUE: case NBI_A_BAD_COLOR: {
        pbuf t = {0};
        draw_tensor(&t, r);
        pb_sub(v, 8, &t);
        break;
    }
    case NBI_A_TRANSPOSE_A: case NBI_A_TRANSPOSE_B: case NBI_A_KEEP_DIMS: case NBI_A_USE_NESTEROV: case NBI_A_TRUE:
    case NBI_A_FALSE: case NBI_A_IS_TRAINING: case NBI_A_APPROXIMATE:
        pb_int(v, 5, take(r) & 1);
        break;
    case NBI_A_B0: case NBI_A_B1:
        pb_int(v, 5, take(r) & 1);
        break;
    case NBI_A_SEED: case NBI_A_SEED2: case NBI_A_AXIS: case NBI_A_ZERO: case NBI_A_N: case NBI_A_N_MINUS_1:
    case NBI_A_I0: case NBI_A_I1: case NBI_A_I2: case NBI_A_I3: case NBI_A_I4: case NBI_A_AXIS_LAST:
    case NBI_A_FIRST_N: case NBI_A_SUMMARIZE: case NBI_A_MAX_IMAGES:
        pb_int(v, 3, draw(r));
        break;
    case NBI_A_INTS: case NBI_A_STRIDES: case NBI_A_DILATIONS: case NBI_A_KSIZE: {
        pbuf l = {0};
        int n = (int)(take(r) % 6);
        bool nhwc = src != NBI_A_INTS && (b & 0x20);
        for (int i = 0; i < n; i++) pb_int(&l, 3, nhwc && (i == 0 || i == 3) ? 1 : draw(r));
        pb_sub(v, 1, &l);
        break;
    }
    case NBI_A_PADDING: pb_str(v, 2, (b & 0x40) ? "SAME" : (b & 0x20) ? "VALID" : "FULL"); break;
    case NBI_A_NHWC: pb_str(v, 2, (b & 0x20) ? "NHWC" : "NCHW"); break;
    case NBI_A_MIRROR_MODE: pb_str(v, 2, (b & 0x40) ? "REFLECT" : (b & 0x20) ? "SYMMETRIC" : "WRAP"); break;
    case NBI_A_F0: case NBI_A_ALPHA: case NBI_A_EPSILON: pb_float(v, 4, (b & 0x20) ? (float)draw(r) : 1e-3f); break;
    case NBI_A_EMPTY_S: pb_str(v, 2, ""); break;
    case NBI_A_MESSAGE: pb_str(v, 2, (b & 0x20) ? "msg" : ""); break;
    case NBI_A_T_REST: {
        pbuf l = {0};
        int n = (int)(take(r) % 3);
        for (int i = 0; i < n; i++) pb_int(&l, 6, draw_dtype(r));
        pb_sub(v, 1, &l);
        break;
    }
    case NBI_A_CLASS: {
        pbuf l = {0};
        pb_str(&l, 2, "loc:@n0");
        pb_sub(v, 1, &l);
        break;
    }
    case NBI_A_END: break;
    }
}

#define MAX_NODES 12

/* GraphDef bytes from a recipe. */
static pbuf recipe(reader *r) {
    pbuf gd = {0};
    int nn = 1 + (int)(take(r) % MAX_NODES);
    for (int i = 0; i < nn; i++) {
        pbuf node = {0};
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        pb_str(&node, 1, name);
        unsigned k = take(r);
        int type;
        if (i == 0 || k % 4 == 0) type = NBI_OP_CONST;
        else if (k % 4 == 1) type = NBI_OP_PLACEHOLDER;
        else type = (int)(take(r) % NBI_OP_COUNT);
        const char *tf = nbi_registry[type]->type;
        pb_str(&node, 2, tf);
        /* usually the op's own input count (a variadic op: 1 to 4) */
        unsigned q = take(r);
        int fixed = nbi_registry[type] ? nbi_registry[type]->n_inputs : 0;
        int ni = (q & 7) == 7 ? (int)(q >> 3) % 5 : fixed >= 0 ? fixed : 1 + (int)(q >> 3) % 4;
        if (type == NBI_OP_CONST || type == NBI_OP_PLACEHOLDER) ni = 0;
        for (int j = 0; j < ni && i > 0; j++) {
            unsigned c = take(r);
            char in[24];
            snprintf(in, sizeof in, "%sn%d%s", (c & 0xc0) == 0xc0 ? "^" : "", (int)(c % (unsigned)i),
                     (c & 0xc0) == 0x40 ? ":1" : "");
            pb_str(&node, 3, in);
        }
        const nbi_attr_row *rows = nbi_graphdef_attr_rows(type);
        for (int a = 0; rows[a].name; a++) {
            if ((take(r) & 0x3f) == 0x3f) continue; /* now and then an attr is missing */
            pbuf v = {0};
            draw_attr(&v, rows[a].kind, r);
            attr_entry(&node, rows[a].name, &v);
        }
        pb_sub(&gd, 1, &node);
    }
    return gd;
}

/* Feeds small tensors to the placeholders and runs up to 16 ops one by one. */
static void run_graph(nb_graph *g, reader *r) {
    nb_session *s = nb_session_new(g);
    if (!s) return;
    nb_feed feeds[MAX_NODES];
    nb_tensor *vals[MAX_NODES];
    int nf = 0, no = nb_graph_num_ops(g);
    for (int i = 0; i < no && nf < MAX_NODES; i++) {
        nb_op *op = nb_graph_op(g, i);
        if (strcmp(nb_op_type(op), "Placeholder")) continue;
        nb_output o = {op, 0};
        nb_shape sh = nb_output_shape(o);
        int rank = sh.rank >= 0 ? sh.rank : (int)(take(r) % 3);
        int64_t dims[NB_MAX_RANK];
        for (int d = 0; d < rank; d++) dims[d] = sh.rank >= 0 && sh.dims[d] >= 0 ? sh.dims[d] : (int64_t)(take(r) % 3);
        nb_tensor *t = nb_tensor_zeros(nb_output_dtype(o), rank, dims);
        if (!t) continue; /* huge dims: left unfed */
        vals[nf] = t;
        feeds[nf++] = (nb_feed){o, t};
    }
    int runs = 0;
    for (int i = 0; i < no && runs < 16; i++) {
        nb_op *op = nb_graph_op(g, i);
        if (!strcmp(nb_op_type(op), "Placeholder")) continue;
        runs++;
        nb_output o = {op, 0};
        nb_tensor *out = NULL;
        bool fetch = nb_op_num_outputs(op) > 0;
        nb_status st = nb_session_run(s, feeds, nf, &o, 1, fetch ? &out : NULL);
        if (st != NB_OK && (out || !nb_session_errmsg(s)[0])) abort();
        if (st == NB_OK && fetch) {
            if (!out) {
                fprintf(stderr, "fuzz: '%s' (op %s) ran OK without a value\n", nb_op_name(op), nb_op_type(op));
                abort();
            }
            fuzz_check_static_shape(o, out);
        }
        nb_tensor_unref(out);
    }
    for (int i = 0; i < nf; i++) nb_tensor_unref(vals[i]);
    nb_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = {data, size};
    pbuf gd = {0};
    bool made = size > 0 && data[0] == 0xA5;
    if (made) {
        take(&r);
        gd = recipe(&r);
    }
    const void *bytes = made ? gd.b : data;
    size_t len = made ? gd.n : size;
    nb_graph *g = nb_graph_new();
    if (!g) {
        free(gd.b);
        return 0;
    }
    nb_error err = {0};
    nb_status st = nb_graph_import_graphdef(g, bytes, len, (size & 1) ? "import" : NULL, &err);
    if (st != NB_OK) {
        fuzz_check_error(&err);
        if (nb_graph_status(g) == NB_OK && err.code != NB_ERR_IO) abort(); /* sticky on g */
    } else {
        void *out = NULL;
        size_t olen = 0;
        if (nb_graph_to_graphdef(g, &out, &olen) == NB_OK) free(out);
        run_graph(g, &r);
    }
    nb_graph_free(g);
    free(gd.b);
    return 0;
}
