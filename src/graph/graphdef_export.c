/*
 * graphdef_export.c — an nb_graph as a TensorFlow GraphDef protobuf, as TF 1.x's
 * FileWriter writes it (as_graph_def(add_shapes=True)): one NodeDef per op with
 * its scoped name, TF op type, inputs "name" / "name:k" / "^name", the attrs
 * TensorFlow's OpDefs declare, and "_output_shapes".
 *
 * The attrs come from the op's entry (nbi_opdef.attrs, kinds in
 * graphdef_attrs.h): each row names a TF attr and the field of nb_op it maps
 * to (an input's dtype, attrs.keep_dims, ...); this file knows kinds, not ops.
 * Summary ops' tag constants (NBI_TAG_IN0) and outputs (NBI_SUMMARY) are
 * strings in TensorFlow; nabla keeps them as uint8 vectors and writes them
 * here as DT_STRING scalars.
 * Facts: shared/reference/tensorboard-format.md §1.9.
 */
#include "graph/graph_impl.h"
#include "graph/graphdef_attrs.h"
#include "graph.pb-c.h"

#include <stdlib.h>

/* The GraphDef version TF 1.x stamps on graphs (VersionDef.producer). */
#define NB_GRAPHDEF_PRODUCER 27

/*** Arena: every protobuf-c struct of one serialization, freed at once ***/

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[];
} arena_block;

typedef struct arena {
    arena_block *head;
    bool oom;
} arena;

static void *arena_alloc(arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        b = nbi_malloc(sizeof *b + cap);
        if (!b) {
            a->oom = true;
            return NULL;
        }
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

static void arena_free(arena *a) {
    for (arena_block *b = a->head, *n; b; b = n) {
        n = b->next;
        nbi_free(b);
    }
    a->head = NULL;
}

static char *arena_printf(arena *a, const char *fmt, ...) NBI_PRINTF(2, 3);
static char *arena_printf(arena *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = arena_alloc(a, (size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static char *unconst(const char *s) { return (char *)(uintptr_t)s; }

/*** Attr rows ***/

/* An op's rows come from the entry the node carries: the export never reads
 * the registry (the importer's nbi_graphdef_attr_rows finds them by type). */
static const nbi_attr_row *op_rows(const nb_op *op) {
    return op->def->attrs; /* every entry has rows (tests/test_registry.c) */
}

static bool has_kind(const nbi_attr_row *rows, nbi_attr_kind kind) {
    for (; rows->name; rows++)
        if (rows->kind == kind) return true;
    return false;
}

/*** Builders ***/

typedef Tensorflow__AttrValue AttrValue;
typedef Tensorflow__NodeDef__AttrEntry AttrEntry;

static Tensorflow__TensorShapeProto *shape_proto(arena *a, const nb_shape *s) {
    Tensorflow__TensorShapeProto *p = arena_alloc(a, sizeof *p);
    if (!p) return NULL;
    tensorflow__tensor_shape_proto__init(p);
    if (s->rank < 0) {
        p->unknown_rank = 1;
        return p;
    }
    p->n_dim = (size_t)s->rank;
    p->dim = arena_alloc(a, (size_t)(s->rank ? s->rank : 1) * sizeof *p->dim);
    if (!p->dim) return NULL;
    for (int i = 0; i < s->rank; i++) {
        Tensorflow__TensorShapeProto__Dim *d = arena_alloc(a, sizeof *d);
        if (!d) return NULL;
        tensorflow__tensor_shape_proto__dim__init(d);
        d->size = s->dims[i] < 0 ? -1 : s->dims[i]; /* -1: unknown (a 10-byte varint) */
        p->dim[i] = d;
    }
    return p;
}

/* A Const's value: one typed value when every element is equal (how TF stores
 * tf.zeros(shape)), else the raw little-endian bytes in tensor_content. */
static Tensorflow__TensorProto *tensor_proto(arena *a, const nb_tensor *t) {
    Tensorflow__TensorProto *p = arena_alloc(a, sizeof *p);
    if (!p) return NULL;
    tensorflow__tensor_proto__init(p);
    p->dtype = (Tensorflow__DataType)t->dtype;
    nb_shape s = nb_shape_make(t->rank, t->dims);
    p->tensor_shape = shape_proto(a, &s);
    if (!p->tensor_shape || t->size == 0) return p->tensor_shape ? p : NULL;
    size_t es = nb_dtype_size(t->dtype);
    bool same = true;
    for (int64_t i = 1; i < t->size && same; i++)
        same = !memcmp((const char *)t->data + (size_t)i * es, t->data, es);
    if (!same) {
        p->tensor_content.data = t->data;
        p->tensor_content.len = t->nbytes;
        return p;
    }
    switch (t->dtype) {
    case NB_FLOAT32:
        p->n_float_val = 1;
        p->float_val = t->data;
        break;
    case NB_FLOAT64:
        p->n_double_val = 1;
        p->double_val = t->data;
        break;
    case NB_INT32:
        p->n_int_val = 1;
        p->int_val = t->data;
        break;
    case NB_UINT8:
        p->n_int_val = 1;
        if (!(p->int_val = arena_alloc(a, sizeof *p->int_val))) return NULL;
        p->int_val[0] = *(const uint8_t *)t->data;
        break;
    case NB_INT64:
        p->n_int64_val = 1;
        p->int64_val = t->data;
        break;
    case NB_BOOL:
        p->n_bool_val = 1;
        if (!(p->bool_val = arena_alloc(a, sizeof *p->bool_val))) return NULL;
        p->bool_val[0] = *(const uint8_t *)t->data != 0;
        break;
    default:
        p->tensor_content.data = t->data;
        p->tensor_content.len = t->nbytes;
    }
    return p;
}

/* A DT_STRING scalar holding bytes (a summary op's tag constant). */
static Tensorflow__TensorProto *string_proto(arena *a, const nb_tensor *t) {
    Tensorflow__TensorProto *p = arena_alloc(a, sizeof *p);
    if (!p) return NULL;
    tensorflow__tensor_proto__init(p);
    p->dtype = TENSORFLOW__DATA_TYPE__DT_STRING;
    nb_shape scalar = nb_shape_make(0, NULL);
    p->tensor_shape = shape_proto(a, &scalar);
    p->n_string_val = 1;
    p->string_val = arena_alloc(a, sizeof *p->string_val);
    if (!p->tensor_shape || !p->string_val) return NULL;
    p->string_val[0].data = t->data;
    p->string_val[0].len = t->nbytes;
    return p;
}

static AttrValue *attr_new(arena *a, Tensorflow__AttrValue__ValueCase c) {
    AttrValue *v = arena_alloc(a, sizeof *v);
    if (!v) return NULL;
    tensorflow__attr_value__init(v);
    v->value_case = c;
    return v;
}

static AttrValue *attr_type(arena *a, nb_dtype dt) {
    AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_TYPE);
    if (v) v->type = (Tensorflow__DataType)dt;
    return v;
}

static AttrValue *attr_bool(arena *a, bool b) {
    AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_B);
    if (v) v->b = b;
    return v;
}

static AttrValue *attr_int(arena *a, int64_t i) {
    AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_I);
    if (v) v->i = i;
    return v;
}

static Tensorflow__AttrValue__ListValue *list_new(arena *a) {
    Tensorflow__AttrValue__ListValue *l = arena_alloc(a, sizeof *l);
    if (l) tensorflow__attr_value__list_value__init(l);
    return l;
}

/* The value of one attr of op, or NULL with *skip set when the op has none. */
static AttrValue *attr_value(arena *a, const nb_op *op, nbi_attr_kind src, bool string_const, bool *skip) {
    *skip = false;
    switch (src) {
    case NBI_A_T_IN0:
    case NBI_A_T_IN1:
    case NBI_A_T_IN2: {
        int i = (int)(src - NBI_A_T_IN0);
        if (i >= op->n_inputs) break;
        return attr_type(a, nbi_in_dtype(op, i));
    }
    case NBI_A_T_LAST:
        if (op->n_inputs < 1) break;
        return attr_type(a, nbi_in_dtype(op, op->n_inputs - 1));
    case NBI_A_T_OUT0:
    case NBI_A_OUT_TYPE:
        if (op->n_outputs < 1) break;
        return attr_type(a, op->out_dtype[0]);
    case NBI_A_DTYPE: return attr_type(a, op->attrs.dtype);
    case NBI_A_VALUE_DTYPE:
        return attr_type(a, string_const ? (nb_dtype)TENSORFLOW__DATA_TYPE__DT_STRING : op->attrs.dtype);
    case NBI_A_INT32: return attr_type(a, NB_INT32);
    case NBI_A_INT64: return attr_type(a, NB_INT64);
    case NBI_A_SHAPE: {
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_SHAPE);
        if (v && !(v->shape = shape_proto(a, &op->attrs.shape))) return NULL;
        return v;
    }
    case NBI_A_VALUE: {
        if (!op->value) break;
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_TENSOR);
        if (v && !(v->tensor = string_const ? string_proto(a, op->value) : tensor_proto(a, op->value)))
            return NULL;
        return v;
    }
    case NBI_A_BAD_COLOR: {
        /* a uint8 vector as TF writes it: the values in int_val */
        static const int64_t red[4] = {255, 0, 0, 255};
        int n = op->attrs.n_ints >= 2 ? (int)op->attrs.ints[1] : 0;
        const int64_t *c = n > 0 ? op->attrs.ints + 2 : red;
        if (n <= 0) n = 4;
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_TENSOR);
        Tensorflow__TensorProto *p = v ? arena_alloc(a, sizeof *p) : NULL;
        if (!p) return NULL;
        tensorflow__tensor_proto__init(p);
        p->dtype = TENSORFLOW__DATA_TYPE__DT_UINT8;
        nb_shape s = nb_shape_make(1, (int64_t[]){n});
        if (!(p->tensor_shape = shape_proto(a, &s)) || !(p->int_val = arena_alloc(a, (size_t)n * sizeof *p->int_val)))
            return NULL;
        for (int i = 0; i < n; i++) p->int_val[i] = (int32_t)c[i];
        p->n_int_val = (size_t)n;
        v->tensor = p;
        return v;
    }
    case NBI_A_TRANSPOSE_A: return attr_bool(a, op->attrs.transpose_a);
    case NBI_A_TRANSPOSE_B: return attr_bool(a, op->attrs.transpose_b);
    case NBI_A_KEEP_DIMS: return attr_bool(a, op->attrs.keep_dims);
    case NBI_A_USE_NESTEROV: return attr_bool(a, op->attrs.use_nesterov);
    case NBI_A_TRUE: return attr_bool(a, true);
    case NBI_A_FALSE: return attr_bool(a, false);
    case NBI_A_SEED: return attr_int(a, op->attrs.seed == NB_SEED_NONE ? 0 : op->attrs.seed);
    case NBI_A_SEED2: return attr_int(a, op->attrs.seed2 == NB_SEED_NONE ? 0 : op->attrs.seed2);
    case NBI_A_AXIS: case NBI_A_AXIS_LAST: return attr_int(a, op->attrs.axis);
    case NBI_A_ZERO: return attr_int(a, 0);
    case NBI_A_N: return attr_int(a, op->n_inputs);
    case NBI_A_N_MINUS_1: return attr_int(a, op->n_inputs - 1);
    case NBI_A_INTS: {
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_LIST);
        if (!v || !(v->list = list_new(a))) return NULL;
        int n = op->attrs.n_ints;
        if (n > 0) {
            if (!(v->list->i = arena_alloc(a, (size_t)n * sizeof *v->list->i))) return NULL;
            for (int i = 0; i < n; i++) v->list->i[i] = op->attrs.ints[i];
            v->list->n_i = (size_t)n;
        }
        return v;
    }
    case NBI_A_EMPTY_S: {
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_S);
        if (v) v->s.data = (uint8_t *)(uintptr_t)"";
        return v;
    }
    case NBI_A_CLASS: {
        /* Ops colocated with a variable: its Assign, its read, the updates on it. */
        const nb_op *var = op->variable;
        if (!var && op->n_inputs > 0) var = op->inputs[0].op->variable;
        if (!var || var == op) break;
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_LIST);
        if (!v || !(v->list = list_new(a))) return NULL;
        char *s = arena_printf(a, "loc:@%s", var->name);
        if (!s || !(v->list->s = arena_alloc(a, sizeof *v->list->s))) return NULL;
        v->list->s[0].data = (uint8_t *)s;
        v->list->s[0].len = strlen(s);
        v->list->n_s = 1;
        return v;
    }
    case NBI_A_STRIDES:
    case NBI_A_DILATIONS:
    case NBI_A_KSIZE: {
        if (op->attrs.n_ints < 5) break;
        int64_t h = src == NBI_A_STRIDES ? op->attrs.ints[0] : op->attrs.ints[2];
        int64_t w = src == NBI_A_STRIDES ? op->attrs.ints[1] : op->attrs.ints[3];
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_LIST);
        if (!v || !(v->list = list_new(a)) || !(v->list->i = arena_alloc(a, 4 * sizeof *v->list->i)))
            return NULL;
        v->list->i[0] = 1;
        v->list->i[1] = h;
        v->list->i[2] = w;
        v->list->i[3] = 1;
        v->list->n_i = 4;
        return v;
    }
    case NBI_A_PADDING:
    case NBI_A_NHWC: {
        if (src == NBI_A_PADDING && op->attrs.n_ints < 5) break;
        const char *str = src == NBI_A_NHWC ? "NHWC" : op->attrs.ints[4] ? "SAME" : "VALID";
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_S);
        if (v) {
            v->s.data = (uint8_t *)(uintptr_t)str;
            v->s.len = strlen(str);
        }
        return v;
    }
    case NBI_A_F0: case NBI_A_ALPHA: case NBI_A_EPSILON: {
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_F);
        if (v) v->f = (float)op->attrs.f[0];
        return v;
    }
    case NBI_A_IS_TRAINING: return attr_bool(a, op->attrs.keep_dims);
    case NBI_A_APPROXIMATE: return attr_bool(a, op->attrs.ints[0] != 0);
    case NBI_A_I0: case NBI_A_I1: case NBI_A_I2: case NBI_A_I3: case NBI_A_I4:
        return attr_int(a, op->attrs.ints[src - NBI_A_I0]);
    case NBI_A_FIRST_N: case NBI_A_MAX_IMAGES: return attr_int(a, op->attrs.ints[0]);
    case NBI_A_SUMMARIZE: return attr_int(a, op->attrs.ints[1]);
    case NBI_A_B0: case NBI_A_B1:
        return attr_bool(a, op->attrs.ints[src - NBI_A_B0] != 0);
    case NBI_A_MESSAGE: {
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_S);
        const char *m = op->attrs.message ? op->attrs.message : "";
        if (v) {
            v->s.data = (uint8_t *)(uintptr_t)m;
            v->s.len = strlen(m);
        }
        return v;
    }
    case NBI_A_T_REST: {
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_LIST);
        if (!v || !(v->list = list_new(a))) return NULL;
        int n = op->n_inputs - 1;
        if (n > 0) {
            if (!(v->list->type = arena_alloc(a, (size_t)n * sizeof *v->list->type))) return NULL;
            for (int i = 0; i < n; i++) v->list->type[i] = (Tensorflow__DataType)nbi_in_dtype(op, i + 1);
            v->list->n_type = (size_t)n;
        }
        return v;
    }
    case NBI_A_MIRROR_MODE: {
        if (op->attrs.ints[0] != NB_PAD_REFLECT && op->attrs.ints[0] != NB_PAD_SYMMETRIC) break;
        const char *str = op->attrs.ints[0] == NB_PAD_REFLECT ? "REFLECT" : "SYMMETRIC";
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_S);
        if (v) {
            v->s.data = (uint8_t *)(uintptr_t)str;
            v->s.len = strlen(str);
        }
        return v;
    }
    case NBI_A_END: break;
    }
    *skip = true;
    return NULL;
}

static AttrValue *output_shapes(arena *a, const nb_op *op, bool string_out) {
    AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_LIST);
    if (!v || !(v->list = list_new(a))) return NULL;
    int n = op->n_outputs;
    if (n == 0) return v; /* NoOp: an empty list, as TF writes */
    if (!(v->list->shape = arena_alloc(a, (size_t)n * sizeof *v->list->shape))) return NULL;
    nb_shape scalar = nb_shape_make(0, NULL);
    for (int k = 0; k < n; k++)
        if (!(v->list->shape[k] = shape_proto(a, string_out ? &scalar : &op->out_shape[k]))) return NULL;
    v->list->n_shape = (size_t)n;
    return v;
}

static int cmp_entry(const void *x, const void *y) {
    const AttrEntry *const *a = x, *const *b = y;
    return strcmp((*a)->key, (*b)->key);
}

static Tensorflow__NodeDef *node_def(arena *a, const nb_op *op, bool string_const) {
    Tensorflow__NodeDef *n = arena_alloc(a, sizeof *n);
    if (!n) return NULL;
    tensorflow__node_def__init(n);
    n->name = op->name;
    n->op = unconst(op->def->type);
    size_t n_in = (size_t)op->n_inputs + (size_t)op->n_control;
    n->input = arena_alloc(a, (n_in ? n_in : 1) * sizeof *n->input);
    if (!n->input) return NULL;
    for (int i = 0; i < op->n_inputs; i++) {
        nb_output in = op->inputs[i];
        n->input[n->n_input++] = in.index ? arena_printf(a, "%s:%d", in.op->name, in.index)
                                          : in.op->name;
    }
    for (int i = 0; i < op->n_control; i++) n->input[n->n_input++] = arena_printf(a, "^%s", op->control[i]->name);
    for (size_t i = 0; i < n->n_input; i++)
        if (!n->input[i]) return NULL;

    const nbi_attr_row *rows = op_rows(op);
    int n_rows = 0;
    while (rows[n_rows].name) n_rows++;
    n->attr = arena_alloc(a, (size_t)(n_rows + 1) * sizeof *n->attr);
    if (!n->attr) return NULL;
    for (int r = 0; r <= n_rows; r++) {
        AttrValue *v;
        const char *key;
        if (r < n_rows) {
            bool skip;
            key = rows[r].name;
            v = attr_value(a, op, rows[r].kind, string_const, &skip);
            if (skip) continue;
        } else {
            key = "_output_shapes";
            v = output_shapes(a, op, string_const || (op->def->flags & NBI_SUMMARY));
        }
        AttrEntry *e = arena_alloc(a, sizeof *e);
        if (!v || !e) return NULL;
        tensorflow__node_def__attr_entry__init(e);
        e->key = unconst(key);
        e->value = v;
        n->attr[n->n_attr++] = e;
    }
    /* Sorted keys: deterministic bytes, the order TensorFlow's dumps show. */
    qsort(n->attr, n->n_attr, sizeof *n->attr, cmp_entry);
    return n;
}

nb_status nb_graph_to_graphdef(const nb_graph *g, void **bytes, size_t *len) {
    if (bytes) *bytes = NULL;
    if (len) *len = 0;
    if (!g || !bytes || !len) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    if (g->status != NB_OK) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    arena a = {0};
    nb_status st = NB_OK;
    /* Constants that hold a summary op's tag are strings in TensorFlow. */
    bool *string_const = nbi_calloc(g->n_ops ? (size_t)g->n_ops : 1, sizeof *string_const);
    Tensorflow__GraphDef gd = TENSORFLOW__GRAPH_DEF__INIT;
    Tensorflow__VersionDef ver = TENSORFLOW__VERSION_DEF__INIT;
    if (!string_const) goto oom;
    for (int i = 0; i < g->n_ops; i++) {
        const nb_op *op = g->ops[i];
        if ((op->def->flags & NBI_TAG_IN0) && op->n_inputs > 0 &&
            has_kind(op_rows(op->inputs[0].op), NBI_A_VALUE))
            string_const[op->inputs[0].op->id] = true;
    }
    gd.node = arena_alloc(&a, (size_t)(g->n_ops ? g->n_ops : 1) * sizeof *gd.node);
    if (!gd.node) goto oom;
    for (int i = 0; i < g->n_ops; i++) {
        if (!(gd.node[i] = node_def(&a, g->ops[i], string_const[i]))) goto oom;
        gd.n_node++;
    }
    ver.producer = NB_GRAPHDEF_PRODUCER;
    gd.versions = &ver;
    size_t n = tensorflow__graph_def__get_packed_size(&gd);
    uint8_t *buf = malloc(n ? n : 1); /* the caller frees with free() */
    if (!buf) goto oom;
    *len = tensorflow__graph_def__pack(&gd, buf);
    *bytes = buf;
    goto done;
oom:
    st = nbi_error(NB_ERR_OUT_OF_MEMORY);
done:
    nbi_free(string_const);
    arena_free(&a);
    return st;
}
