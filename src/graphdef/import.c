/*
 * import.c — a GraphDef read back into a graph (tf.import_graph_def).
 * Files: file.c; export: src/graph/graphdef_export.c; freezing a session's
 * graph: src/run/freeze.c.
 *
 * The importer reads the op entry's attr rows (graphdef_attrs.h) backwards: for
 * each row it takes the AttrValue of that name and stores it in the nb_op
 * field the row's kind names, lets the entry restore what a NodeDef does not
 * hold (its `imported` hook), then re-runs shape inference (nbi_op_finish).
 * Nodes may come in any order; they are built in a topological order of
 * their data and control inputs. Facts: shared/reference/tensorboard-format.md §1.9.
 */
#include "graphdef/graphdef.h"
#include "graph.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef Tensorflow__NodeDef NodeDef;
typedef Tensorflow__AttrValue AttrValue;

/* protobuf-c's allocations go through the library's allocator (so the
 * allocation-failure tests reach them); a failed one is recorded, so that
 * running out of memory is not reported as a malformed file. */
static void *pb_alloc(void *data, size_t n) {
    void *p = nbi_malloc(n);
    if (!p) *(bool *)data = true;
    return p;
}
static void pb_free(void *data, void *p) {
    (void)data;
    nbi_free(p);
}

/*** Attr rows ***/

const nbi_attr_row *nbi_graphdef_attr_rows(int type) {
    static const nbi_attr_row none[] = {{NULL, NBI_A_END}};
    if (type < 0 || type >= NBI_OP_COUNT) return none;
    return nbi_registry[type]->attrs; /* every entry has rows (tests/test_registry.c) */
}

/*** Import ***/

typedef struct importer {
    nb_graph *g;
    nb_error *err;
    const Tensorflow__GraphDef *gd;
    const char *prefix; /* "" or "import/" */
    nbi_map index;      /* node name -> (intptr_t)(position + 1) */
    nb_op **made;       /* node position -> op built (NULL: not yet) */
} importer;

/* Records an error on the graph (sticky) and in err. */
static nb_status imp_error(importer *im, nb_status code, const char *fmt, ...) NBI_PRINTF(3, 4);
static nb_status imp_error(importer *im, nb_status code, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (im->g->status == NB_OK) nbi_graph_error(im->g, code, "%s", msg);
    return nbi_set_error(im->err, code, "%s", msg);
}

/* Splits an input "name", "name:k" or "^name": the name's length, k, control. */
static void parse_input(const char *s, const char **name, size_t *nlen, int *k, bool *control) {
    *control = s[0] == '^';
    if (*control) s++;
    *name = s;
    *nlen = strlen(s);
    *k = 0;
    const char *colon = strrchr(s, ':');
    if (colon && colon[1]) {
        long v = 0;
        const char *p = colon + 1;
        for (; *p >= '0' && *p <= '9' && v < 1000000; p++) v = v * 10 + (*p - '0');
        if (!*p) {
            *nlen = (size_t)(colon - s);
            *k = (int)v;
        }
    }
}

static int node_index(importer *im, const char *name, size_t len) {
    char buf[512];
    if (len >= sizeof buf) return -1;
    memcpy(buf, name, len);
    buf[len] = 0;
    intptr_t v = (intptr_t)nbi_map_get(&im->index, buf);
    return v ? (int)v - 1 : -1;
}

static const AttrValue *find_attr(const NodeDef *n, const char *key) {
    for (size_t i = 0; i < n->n_attr; i++)
        if (n->attr[i] && n->attr[i]->key && !strcmp(n->attr[i]->key, key)) return n->attr[i]->value;
    return NULL;
}

static int op_type_of(const char *tf) {
    for (int t = 0; t < NBI_OP_COUNT; t++) {
        const nbi_opdef *d = nbi_registry[t];
        if (!strcmp(d->type, tf) || (d->old_type && !strcmp(d->old_type, tf))) return t;
    }
    return -1;
}

/* A TF DataType as an nb_dtype (same numbers; refs drop their +100). */
static bool dtype_of(int tf, nb_dtype *out) {
    if (tf > 100) tf -= 100;
    if (!nbi_dtype_valid((nb_dtype)tf)) return false;
    *out = (nb_dtype)tf;
    return true;
}

static bool shape_of(const Tensorflow__TensorShapeProto *p, nb_shape *s) {
    if (!p || p->unknown_rank) {
        *s = nb_shape_make(-1, NULL);
        return true;
    }
    if (p->n_dim > NB_MAX_RANK) return false;
    int64_t dims[NB_MAX_RANK];
    for (size_t i = 0; i < p->n_dim; i++) {
        if (!p->dim[i] || p->dim[i]->size < -1) return false;
        dims[i] = p->dim[i]->size;
    }
    *s = nb_shape_make((int)p->n_dim, dims);
    return true;
}

/* A Const's value from a TensorProto: tensor_content, or the typed list (one
 * value broadcast to the whole shape, fewer values padded with the last, as
 * TF does). DT_STRING scalars (summary tags) become uint8 vectors. NULL with
 * *why set on a malformed proto. */
static nb_tensor *tensor_of(const Tensorflow__TensorProto *p, const char **why) {
    *why = "out of memory";
    if (!p) {
        *why = "no tensor";
        return NULL;
    }
    if (p->dtype == TENSORFLOW__DATA_TYPE__DT_STRING) {
        if (p->n_string_val != 1 || (p->tensor_shape && p->tensor_shape->n_dim != 0)) {
            *why = "string tensors other than scalars are not supported";
            return NULL;
        }
        int64_t d = (int64_t)p->string_val[0].len;
        return nb_tensor_new(NB_UINT8, 1, &d, p->string_val[0].data);
    }
    nb_dtype dt;
    if (!dtype_of((int)p->dtype, &dt)) {
        *why = "unsupported dtype";
        return NULL;
    }
    nb_shape s;
    if (!shape_of(p->tensor_shape, &s) || !nbi_shape_known(&s)) {
        *why = "bad or unknown shape";
        return NULL;
    }
    int64_t numel = nbi_shape_numel(&s);
    size_t es = nbi_dtype_size(dt);
    if (numel < 0 || nbi_mul_size((size_t)numel, es) == SIZE_MAX) {
        *why = "tensor too large";
        return NULL;
    }
    if (p->tensor_content.len) {
        if (p->tensor_content.len != (size_t)numel * es) {
            *why = "tensor_content size does not match dtype and shape";
            return NULL;
        }
        return nb_tensor_new(dt, s.rank, s.dims, p->tensor_content.data);
    }
    size_t n;
    switch (dt) {
    case NB_FLOAT32: n = p->n_float_val; break;
    case NB_FLOAT64: n = p->n_double_val; break;
    case NB_INT32: case NB_UINT8: n = p->n_int_val; break;
    case NB_INT64: n = p->n_int64_val; break;
    case NB_BOOL: n = p->n_bool_val; break;
    default: n = 0;
    }
    if (n > (size_t)numel) {
        *why = "more values than the shape holds";
        return NULL;
    }
    nb_tensor *t = nbi_tensor_alloc(dt, s.rank, s.dims);
    if (!t) return NULL;
    if (numel) memset(t->data, 0, t->nbytes);
    for (int64_t i = 0; n && i < numel; i++) {
        size_t j = (size_t)i < n ? (size_t)i : n - 1;
        switch (dt) {
        case NB_FLOAT32: ((float *)t->data)[i] = p->float_val[j]; break;
        case NB_FLOAT64: ((double *)t->data)[i] = p->double_val[j]; break;
        case NB_INT32: ((int32_t *)t->data)[i] = p->int_val[j]; break;
        case NB_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)p->int_val[j]; break;
        case NB_INT64: ((int64_t *)t->data)[i] = p->int64_val[j]; break;
        case NB_BOOL: ((uint8_t *)t->data)[i] = p->bool_val[j] != 0; break;
        default: break;
        }
    }
    return t;
}

/* TF's defaults (graphdef_attrs.h), stored before the node's own attrs: an
 * attr the NodeDef lacks keeps TF's default, as in TF. */
static void apply_defaults(nb_op *op, const nbi_attr_row *rows) {
    for (int r = 0; rows[r].name; r++) {
        switch (rows[r].kind) {
        case NBI_A_DILATIONS:
            op->attrs.ints[2] = op->attrs.ints[3] = 1;
            if (op->attrs.n_ints < 5) op->attrs.n_ints = 5;
            break;
        case NBI_A_IS_TRAINING: op->attrs.keep_dims = true; break;
        case NBI_A_ALPHA: op->attrs.f[0] = 0.2; break;
        case NBI_A_EPSILON: op->attrs.f[0] = 0.0001; break;
        case NBI_A_AXIS_LAST: op->attrs.axis = -1; break;
        case NBI_A_FIRST_N: case NBI_A_SUMMARIZE: {
            int at = rows[r].kind == NBI_A_FIRST_N ? 0 : 1;
            op->attrs.ints[at] = at ? 3 : -1;
            if (op->attrs.n_ints < at + 1) op->attrs.n_ints = at + 1;
            break;
        }
        case NBI_A_MAX_IMAGES:
            op->attrs.ints[0] = 3;
            if (op->attrs.n_ints < 1) op->attrs.n_ints = 1;
            break;
        default: break; /* nabla's zero is TF's default */
        }
    }
}

/* Stores the node's attrs in op following the table; *why says what is wrong
 * (a static text, or one formatted into buf). */
static bool apply_attrs(nb_op *op, const NodeDef *n, const char **why, const char **which, char *buf,
                        size_t cap) {
    const nbi_attr_row *rows = nbi_graphdef_attr_rows(op->type);
    apply_defaults(op, rows);
    for (int r = 0; rows[r].name; r++) {
        const AttrValue *v = find_attr(n, rows[r].name);
        *which = rows[r].name;
        if (!v) {
            /* N and num_tensors have no default in TF's OpDefs: TF's importer
             * rejects a NodeDef without them */
            if (rows[r].kind == NBI_A_DTYPE || rows[r].kind == NBI_A_VALUE_DTYPE || rows[r].kind == NBI_A_VALUE ||
                rows[r].kind == NBI_A_N || rows[r].kind == NBI_A_N_MINUS_1) {
                *why = "is missing";
                return false;
            }
            if (rows[r].kind == NBI_A_SHAPE) {
                /* Placeholder's shape defaults to unknown rank in TF1; the other
                 * ops with a shape attr (VariableV2, PlaceholderWithDefault) have
                 * no default, so TF rejects a node without it */
                if (op->type != NBI_OP_PLACEHOLDER) {
                    *why = "is missing";
                    return false;
                }
                op->attrs.shape = nb_shape_make(-1, NULL);
            }
            continue;
        }
        int c = (int)v->value_case;
        switch (rows[r].kind) {
        case NBI_A_T_IN0: case NBI_A_T_IN1: case NBI_A_T_IN2: case NBI_A_T_LAST: case NBI_A_T_OUT0:
        case NBI_A_INT32: case NBI_A_INT64:
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_TYPE) goto bad_kind;
            break; /* derived from the inputs; inference checks them */
        case NBI_A_OUT_TYPE: /* chosen, not derived */
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_TYPE) goto bad_kind;
            if (v->type != TENSORFLOW__DATA_TYPE__DT_INT32 && v->type != TENSORFLOW__DATA_TYPE__DT_INT64) {
                *why = "must be int32 or int64";
                return false;
            }
            op->attrs.dtype = (nb_dtype)v->type;
            break;
        case NBI_A_DTYPE:
        case NBI_A_VALUE_DTYPE:
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_TYPE) goto bad_kind;
            if (v->type == TENSORFLOW__DATA_TYPE__DT_STRING && rows[r].kind == NBI_A_VALUE_DTYPE) {
                op->attrs.dtype = NB_UINT8; /* a tag; the value below decides */
            } else if (!dtype_of((int)v->type, &op->attrs.dtype)) {
                *why = "is a dtype nabla does not have";
                return false;
            }
            break;
        case NBI_A_SHAPE:
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_SHAPE) goto bad_kind;
            if (!shape_of(v->shape, &op->attrs.shape)) {
                *why = "is a bad shape";
                return false;
            }
            break;
        case NBI_A_VALUE: {
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_TENSOR) goto bad_kind;
            nb_tensor *t = tensor_of(v->tensor, why);
            if (!t) return false;
            nb_tensor_unref(op->value);
            op->value = t;
            op->attrs.dtype = t->dtype;
            break;
        }
        case NBI_A_BAD_COLOR: {
            /* TF checks these when the kernel is made (summary_image_op.cc) */
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_TENSOR) goto bad_kind;
            if (v->tensor && v->tensor->dtype != TENSORFLOW__DATA_TYPE__DT_UINT8) {
                *why = "must be uint8";
                return false;
            }
            nb_tensor *t = tensor_of(v->tensor, why);
            if (!t) return false;
            int max = (int)(sizeof op->attrs.ints / sizeof *op->attrs.ints) - 2;
            bool ok = false;
            if (t->rank != 1) *why = "must be a vector";
            else if (t->size < 1 || t->size > max) *why = "must have 1 to 14 entries (nabla's limit)";
            else ok = true;
            for (int64_t i = 0; ok && i < t->size; i++) op->attrs.ints[2 + i] = ((const uint8_t *)t->data)[i];
            if (ok) {
                op->attrs.ints[1] = t->size;
                if (op->attrs.n_ints < 2 + (int)t->size) op->attrs.n_ints = 2 + (int)t->size;
            }
            nb_tensor_unref(t);
            if (!ok) return false;
            break;
        }
        case NBI_A_TRANSPOSE_A: case NBI_A_TRANSPOSE_B: case NBI_A_KEEP_DIMS: case NBI_A_USE_NESTEROV:
        case NBI_A_TRUE: case NBI_A_FALSE:
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_B) goto bad_kind;
            if (rows[r].kind == NBI_A_TRANSPOSE_A) op->attrs.transpose_a = v->b;
            if (rows[r].kind == NBI_A_TRANSPOSE_B) op->attrs.transpose_b = v->b;
            if (rows[r].kind == NBI_A_KEEP_DIMS) op->attrs.keep_dims = v->b;
            if (rows[r].kind == NBI_A_USE_NESTEROV) op->attrs.use_nesterov = v->b;
            break;
        case NBI_A_SEED: case NBI_A_SEED2: case NBI_A_AXIS: case NBI_A_ZERO: case NBI_A_N: case NBI_A_N_MINUS_1:
        case NBI_A_AXIS_LAST:
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_I) goto bad_kind;
            if (rows[r].kind == NBI_A_N || rows[r].kind == NBI_A_N_MINUS_1) {
                /* the list input's length is the attr: TF rejects a NodeDef
                 * whose inputs do not match it */
                int64_t have = rows[r].kind == NBI_A_N ? op->n_inputs : op->n_inputs - 1;
                if (v->i != have) {
                    snprintf(buf, cap, "is %lld but the node has %d input%s%s; they must agree", (long long)v->i,
                             op->n_inputs, op->n_inputs == 1 ? "" : "s",
                             rows[r].kind == NBI_A_N ? "" : " (the N values and the axis)");
                    *why = buf;
                    return false;
                }
            }
            if (rows[r].kind == NBI_A_SEED) op->attrs.seed = v->i;
            if (rows[r].kind == NBI_A_SEED2) op->attrs.seed2 = v->i;
            if (rows[r].kind == NBI_A_AXIS || rows[r].kind == NBI_A_AXIS_LAST) {
                if (v->i < -NB_MAX_RANK - 1 || v->i > NB_MAX_RANK) {
                    *why = "is out of range";
                    return false;
                }
                op->attrs.axis = (int)v->i;
            }
            break;
        case NBI_A_INTS:
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_LIST || !v->list) goto bad_kind;
            if (v->list->n_i > sizeof op->attrs.ints / sizeof *op->attrs.ints) {
                *why = "has too many values";
                return false;
            }
            op->attrs.n_ints = (int)v->list->n_i;
            for (size_t i = 0; i < v->list->n_i; i++) op->attrs.ints[i] = v->list->i[i];
            break;
        case NBI_A_STRIDES: case NBI_A_DILATIONS: case NBI_A_KSIZE: {
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_LIST || !v->list || v->list->n_i != 4 ||
                v->list->i[0] != 1 || v->list->i[3] != 1 || v->list->i[1] < 1 || v->list->i[2] < 1 ||
                v->list->i[1] > INT32_MAX || v->list->i[2] > INT32_MAX) {
                *why = "must be [1, h, w, 1] with 1 <= h, w <= 2147483647 (NHWC)";
                return false;
            }
            int at = rows[r].kind == NBI_A_STRIDES ? 0 : 2;
            op->attrs.ints[at] = v->list->i[1];
            op->attrs.ints[at + 1] = v->list->i[2];
            if (op->attrs.n_ints < 5) op->attrs.n_ints = 5;
            break;
        }
        case NBI_A_PADDING:
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_S) goto bad_kind;
            if (v->s.len == 4 && !memcmp(v->s.data, "SAME", 4)) op->attrs.ints[4] = 1;
            else if (v->s.len == 5 && !memcmp(v->s.data, "VALID", 5)) op->attrs.ints[4] = 0;
            else {
                *why = "must be SAME or VALID";
                return false;
            }
            if (op->attrs.n_ints < 5) op->attrs.n_ints = 5;
            break;
        case NBI_A_NHWC:
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_S) goto bad_kind;
            if (!(v->s.len == 4 && !memcmp(v->s.data, "NHWC", 4))) {
                *why = "must be NHWC (the only layout nabla has)";
                return false;
            }
            break;
        case NBI_A_F0: case NBI_A_ALPHA: case NBI_A_EPSILON:
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_F) goto bad_kind;
            op->attrs.f[0] = v->f;
            break;
        case NBI_A_IS_TRAINING:
        case NBI_A_APPROXIMATE:
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_B) goto bad_kind;
            if (rows[r].kind == NBI_A_IS_TRAINING) op->attrs.keep_dims = v->b;
            else op->attrs.ints[0] = v->b;
            break;
        case NBI_A_I0: case NBI_A_I1: case NBI_A_I2: case NBI_A_I3: case NBI_A_I4:
        case NBI_A_FIRST_N: case NBI_A_SUMMARIZE: case NBI_A_MAX_IMAGES: {
            int at = rows[r].kind == NBI_A_FIRST_N || rows[r].kind == NBI_A_MAX_IMAGES ? 0
                   : rows[r].kind == NBI_A_SUMMARIZE ? 1 : (int)rows[r].kind - (int)NBI_A_I0;
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_I) goto bad_kind;
            op->attrs.ints[at] = v->i;
            if (op->attrs.n_ints < at + 1) op->attrs.n_ints = at + 1;
            break;
        }
        case NBI_A_MESSAGE: {
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_S) goto bad_kind;
            char *m = nbi_malloc(v->s.len + 1);
            if (!m || !nbi_graph_own(op->graph, m, nbi_free)) {
                nbi_free(m);
                *why = "could not be stored (out of memory)";
                return false;
            }
            if (v->s.len) memcpy(m, v->s.data, v->s.len);
            m[v->s.len] = 0;
            op->attrs.message = m;
            break;
        }
        case NBI_A_T_REST:
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_LIST) goto bad_kind;
            break; /* derived from the inputs */
        case NBI_A_B0: case NBI_A_B1: {
            int at = (int)rows[r].kind - (int)NBI_A_B0;
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_B) goto bad_kind;
            op->attrs.ints[at] = v->b;
            if (op->attrs.n_ints < at + 1) op->attrs.n_ints = at + 1;
            break;
        }
        case NBI_A_MIRROR_MODE:
            if (c != TENSORFLOW__ATTR_VALUE__VALUE_S) goto bad_kind;
            if (v->s.len == 7 && !memcmp(v->s.data, "REFLECT", 7)) op->attrs.ints[0] = NB_PAD_REFLECT;
            else if (v->s.len == 9 && !memcmp(v->s.data, "SYMMETRIC", 9)) op->attrs.ints[0] = NB_PAD_SYMMETRIC;
            else {
                *why = "must be REFLECT or SYMMETRIC";
                return false;
            }
            break;
        case NBI_A_EMPTY_S: case NBI_A_CLASS: case NBI_A_END:
            break;
        }
    }
    /* TF: seed = seed2 = 0 means "not seeded". */
    if ((op->def->flags & NBI_SEEDED) && op->attrs.seed == 0 && op->attrs.seed2 == 0)
        op->attrs.seed = op->attrs.seed2 = NB_SEED_NONE;
    return true;
bad_kind:
    *why = "has the wrong kind of value";
    return false;
}

/* Builds node i (its inputs are built). */
static nb_status build_node(importer *im, int i) {
    const NodeDef *n = im->gd->node[i];
    nb_graph *g = im->g;
    int type = op_type_of(n->op ? n->op : "");
    if (type < 0)
        return imp_error(im, NB_ERR_UNIMPLEMENTED, "node '%s': op type '%s' is not one nabla has",
                         n->name, n->op ? n->op : "");
    char *full = nbi_asprintf("%s%s", im->prefix, n->name);
    if (!full) return imp_error(im, NB_ERR_OUT_OF_MEMORY, "out of memory");
    if (nbi_map_get(&g->by_name, full)) {
        nb_status st = imp_error(im, NB_ERR_INVALID_ARGUMENT,
                                 "node '%s': the graph already has a node named '%s'", n->name, full);
        nbi_free(full);
        return st;
    }
    nb_output *ins = nbi_calloc(n->n_input ? n->n_input : 1, sizeof *ins);
    char *verbatim = nbi_asprintf("%s/", full);
    nbi_free(full);
    int n_data = 0;
    nb_op *op = NULL;
    nb_status st = NB_OK;
    if (!ins || !verbatim) {
        st = imp_error(im, NB_ERR_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < n->n_input; k++) {
        const char *nm;
        size_t nl;
        int idx;
        bool ctl;
        parse_input(n->input[k], &nm, &nl, &idx, &ctl);
        if (ctl) continue;
        int j = node_index(im, nm, nl);
        ins[n_data++] = nbi_out(im->made[j], idx);
    }
    /* No scope and no control-dependency context applies to imported nodes. */
    int saved_ctrl = g->n_ctrl;
    g->n_ctrl = 0;
    op = nbi_op_new(g, type, verbatim, NULL, ins, n_data);
    g->n_ctrl = saved_ctrl;
    if (!op) {
        st = imp_error(im, g->status ? g->status : NB_ERR_INVALID_ARGUMENT, "node '%s': %s",
                       n->name, g->errmsg);
        goto done;
    }
    for (size_t k = 0; k < n->n_input; k++) {
        const char *nm;
        size_t nl;
        int idx;
        bool ctl;
        parse_input(n->input[k], &nm, &nl, &idx, &ctl);
        if (ctl && !nbi_op_add_control(op, im->made[node_index(im, nm, nl)])) {
            nbi_op_discard(op);
            st = imp_error(im, NB_ERR_OUT_OF_MEMORY, "out of memory");
            goto done;
        }
    }
    const char *why = NULL, *which = "";
    char why_buf[128];
    if (!apply_attrs(op, n, &why, &which, why_buf, sizeof why_buf)) {
        nbi_op_discard(op);
        /* apply_attrs' two out-of-memory reasons say so; every other is a bad attr */
        nb_status code = strstr(why, "out of memory") ? NB_ERR_OUT_OF_MEMORY : NB_ERR_INVALID_ARGUMENT;
        st = imp_error(im, code, "node '%s' (op: '%s'): attr '%s' %s", n->name, n->op, which, why);
        goto done;
    }
    if (op->def->imported) op->def->imported(op);
    nbi_op_finish(op);
    if (g->status != NB_OK) {
        st = nbi_set_error(im->err, g->status, "node '%s': %s", n->name, g->errmsg);
        goto done;
    }
    if ((op->def->flags & NBI_VARIABLE) && !nbi_graph_add_variable(g, op)) {
        st = imp_error(im, NB_ERR_OUT_OF_MEMORY, "out of memory adding variable '%s'", n->name);
        goto done;
    }
    im->made[i] = op;
done:
    nbi_free(ins);
    nbi_free(verbatim);
    return st;
}

nb_status nb_graph_import_graphdef(nb_graph *g, const void *bytes, size_t len, const char *prefix,
                                   nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    if (!g || (!bytes && len))
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_graph_import_graphdef: no graph or bytes");
    if (g->status != NB_OK)
        return nbi_set_error(err, g->status, "the graph is in error: %s", g->errmsg);
    importer im = {.g = g, .err = err};
    char *pfx = NULL;
    if (prefix && *prefix) {
        size_t pl = strlen(prefix);
        pfx = prefix[pl - 1] == '/' ? nbi_strdup(prefix) : nbi_asprintf("%s/", prefix);
        if (!pfx) return imp_error(&im, NB_ERR_OUT_OF_MEMORY, "out of memory");
    }
    im.prefix = pfx ? pfx : "";
    bool pb_oom = false;
    ProtobufCAllocator pba = {pb_alloc, pb_free, &pb_oom};
    Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(&pba, len, bytes);
    nb_status st = NB_OK;
    int *state = NULL, *stack = NULL;
    size_t *next = NULL;
    if (!gd) {
        st = pb_oom ? imp_error(&im, NB_ERR_OUT_OF_MEMORY, "out of memory reading a GraphDef of %zu bytes", len)
                    : imp_error(&im, NB_ERR_IO, "not a valid GraphDef protobuf (%zu bytes)", len);
        goto done;
    }
    im.gd = gd;
    size_t nn = gd->n_node;
    if (nn > INT32_MAX / 2) {
        st = imp_error(&im, NB_ERR_INVALID_ARGUMENT, "GraphDef has too many nodes");
        goto done;
    }
    im.made = nbi_calloc(nn ? nn : 1, sizeof *im.made);
    state = nbi_calloc(nn ? nn : 1, sizeof *state);
    stack = nbi_calloc(nn ? nn : 1, sizeof *stack);
    next = nbi_calloc(nn ? nn : 1, sizeof *next);
    if (!im.made || !state || !stack || !next) {
        st = imp_error(&im, NB_ERR_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nn; i++) {
        const NodeDef *n = gd->node[i];
        if (!n->name || !*n->name) {
            st = imp_error(&im, NB_ERR_INVALID_ARGUMENT, "node %zu has no name", i);
            goto done;
        }
        if (nbi_map_get(&im.index, n->name)) {
            st = imp_error(&im, NB_ERR_INVALID_ARGUMENT, "node '%s' appears twice", n->name);
            goto done;
        }
        if (!nbi_map_put(&im.index, n->name, (void *)(intptr_t)(i + 1))) {
            st = imp_error(&im, NB_ERR_OUT_OF_MEMORY, "out of memory");
            goto done;
        }
    }
    /* Every input names a node; control inputs come last. */
    for (size_t i = 0; i < nn; i++) {
        const NodeDef *n = gd->node[i];
        bool seen_ctl = false;
        for (size_t k = 0; k < n->n_input; k++) {
            const char *nm;
            size_t nl;
            int idx;
            bool ctl;
            parse_input(n->input[k] ? n->input[k] : "", &nm, &nl, &idx, &ctl);
            if (node_index(&im, nm, nl) < 0) {
                st = imp_error(&im, NB_ERR_NOT_FOUND, "node '%s': input '%s' names no node of "
                               "the GraphDef", n->name, n->input[k] ? n->input[k] : "");
                goto done;
            }
            if (!ctl && seen_ctl) {
                st = imp_error(&im, NB_ERR_INVALID_ARGUMENT, "node '%s': data input '%s' comes "
                               "after a control input", n->name, n->input[k]);
                goto done;
            }
            seen_ctl |= ctl;
        }
    }
    /* Depth-first, with an explicit stack: state 1 = on the stack, 2 = built. */
    for (size_t root = 0; root < nn; root++) {
        if (state[root]) continue;
        int sp = 0;
        stack[sp++] = (int)root;
        state[root] = 1;
        next[root] = 0;
        while (sp > 0) {
            int i = stack[sp - 1];
            const NodeDef *n = gd->node[i];
            if (next[i] < n->n_input) {
                const char *nm;
                size_t nl;
                int idx;
                bool ctl;
                parse_input(n->input[next[i]++], &nm, &nl, &idx, &ctl);
                int j = node_index(&im, nm, nl);
                if (state[j] == 1) {
                    st = imp_error(&im, NB_ERR_INVALID_ARGUMENT,
                                   "node '%s': the GraphDef has a cycle through input '%s'",
                                   n->name, gd->node[j]->name);
                    goto done;
                }
                if (state[j] == 0) {
                    state[j] = 1;
                    next[j] = 0;
                    stack[sp++] = j;
                }
                continue;
            }
            if ((st = build_node(&im, i)) != NB_OK) goto done;
            state[i] = 2;
            sp--;
        }
    }
done:
    if (gd) tensorflow__graph_def__free_unpacked(gd, &pba);
    nbi_map_free(&im.index);
    nbi_free(im.made);
    nbi_free(state);
    nbi_free(stack);
    nbi_free(next);
    nbi_free(pfx);
    return st;
}
