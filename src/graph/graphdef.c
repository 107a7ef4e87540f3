/*
 * graphdef.c — an nb_graph as a TensorFlow GraphDef protobuf, as TF 1.x's
 * FileWriter writes it (as_graph_def(add_shapes=True)): one NodeDef per op with
 * its scoped name, TF op type, inputs "name" / "name:k" / "^name", the attrs
 * TensorFlow's OpDefs declare, and "_output_shapes".
 *
 * The attrs come from one table, attr_table[op type]: each row names a TF attr
 * and the field of nb_op it maps to (an input's dtype, attrs.keep_dims, ...).
 * The same table read backwards tells an importer where each attr goes.
 * Summary ops' tag constants and outputs are strings in TensorFlow; nabla
 * keeps them as uint8 vectors and writes them here as DT_STRING scalars.
 * Facts: shared/reference/tensorboard-format.md §1.9.
 */
#include "nb_internal.h"
#include "io/tensorboard.h"
#include "graph/graphdef_table.h"

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

/*** The attr table ***/

#define ROWS(...) ((const attr_row[]){__VA_ARGS__, {NULL, A_END}})
#define T0 {"T", A_T_IN0}
#define NO_ATTRS ((const attr_row[]){{NULL, A_END}})

static const attr_row *const attr_table[NBI_OP_COUNT] = {
    /* Sources, state, control */
    [NBI_OP_PLACEHOLDER] = ROWS({"dtype", A_DTYPE}, {"shape", A_SHAPE}),
    [NBI_OP_CONST] = ROWS({"dtype", A_DTYPE}, {"value", A_VALUE}),
    [NBI_OP_VARIABLE] = ROWS({"container", A_EMPTY_S}, {"dtype", A_DTYPE}, {"shape", A_SHAPE},
                             {"shared_name", A_EMPTY_S}),
    [NBI_OP_ASSIGN] = ROWS(T0, {"_class", A_CLASS}, {"use_locking", A_TRUE}, {"validate_shape", A_TRUE}),
    [NBI_OP_ASSIGN_ADD] = ROWS(T0, {"_class", A_CLASS}, {"use_locking", A_FALSE}),
    [NBI_OP_ASSIGN_SUB] = ROWS(T0, {"_class", A_CLASS}, {"use_locking", A_FALSE}),
    [NBI_OP_NO_OP] = NO_ATTRS,
    [NBI_OP_IDENTITY] = ROWS(T0, {"_class", A_CLASS}),
    [NBI_OP_STOP_GRADIENT] = ROWS(T0),
    /* Math */
    [NBI_OP_ADD_N] = ROWS({"N", A_N}, T0),
    [NBI_OP_SELECT] = ROWS({"T", A_T_IN1}),
    [NBI_OP_SELECT_V2] = ROWS({"T", A_T_IN1}),
    [NBI_OP_CAST] = ROWS({"DstT", A_DTYPE}, {"SrcT", A_T_IN0}, {"Truncate", A_FALSE}),
    [NBI_OP_LOGICAL_AND] = NO_ATTRS,
    [NBI_OP_LOGICAL_OR] = NO_ATTRS,
    [NBI_OP_LOGICAL_NOT] = NO_ATTRS,
    /* Reductions */
    [NBI_OP_SUM] = ROWS(T0, {"Tidx", A_T_IN1}, {"keep_dims", A_KEEP_DIMS}),
    [NBI_OP_MEAN] = ROWS(T0, {"Tidx", A_T_IN1}, {"keep_dims", A_KEEP_DIMS}),
    [NBI_OP_PROD] = ROWS(T0, {"Tidx", A_T_IN1}, {"keep_dims", A_KEEP_DIMS}),
    [NBI_OP_MAX] = ROWS(T0, {"Tidx", A_T_IN1}, {"keep_dims", A_KEEP_DIMS}),
    [NBI_OP_MIN] = ROWS(T0, {"Tidx", A_T_IN1}, {"keep_dims", A_KEEP_DIMS}),
    [NBI_OP_ARG_MAX] = ROWS(T0, {"Tidx", A_T_IN1}, {"output_type", A_T_OUT0}),
    [NBI_OP_ARG_MIN] = ROWS(T0, {"Tidx", A_T_IN1}, {"output_type", A_T_OUT0}),
    /* Array */
    [NBI_OP_TRANSPOSE] = ROWS(T0, {"Tperm", A_T_IN1}),
    [NBI_OP_RESHAPE] = ROWS(T0, {"Tshape", A_T_IN1}),
    [NBI_OP_EXPAND_DIMS] = ROWS(T0, {"Tdim", A_T_IN1}),
    [NBI_OP_SQUEEZE] = ROWS(T0, {"squeeze_dims", A_INTS}),
    [NBI_OP_CONCAT] = ROWS({"N", A_N_MINUS_1}, T0, {"Tidx", A_T_LAST}),
    [NBI_OP_PACK] = ROWS({"N", A_N}, T0, {"axis", A_AXIS}),
    [NBI_OP_SLICE] = ROWS(T0, {"Index", A_T_IN1}),
    [NBI_OP_GATHER] = ROWS({"Taxis", A_T_IN2}, {"Tindices", A_T_IN1}, {"Tparams", A_T_IN0},
                           {"batch_dims", A_ZERO}),
    [NBI_OP_TILE] = ROWS(T0, {"Tmultiples", A_T_IN1}),
    [NBI_OP_PAD] = ROWS(T0, {"Tpaddings", A_T_IN1}),
    [NBI_OP_PAD_V2] = ROWS(T0, {"Tpaddings", A_T_IN1}),
    [NBI_OP_MIRROR_PAD] = ROWS(T0, {"Tpaddings", A_T_IN1}, {"mode", A_MIRROR_MODE}),
    [NBI_OP_MIRROR_PAD_GRAD] = ROWS(T0, {"Tpaddings", A_T_IN1}, {"mode", A_MIRROR_MODE}),
    [NBI_OP_ONE_HOT] = ROWS({"T", A_T_OUT0}, {"TI", A_T_IN0}, {"axis", A_AXIS}),
    [NBI_OP_FILL] = ROWS({"T", A_T_IN1}, {"index_type", A_T_IN0}),
    [NBI_OP_ZEROS_LIKE] = ROWS(T0),
    [NBI_OP_ONES_LIKE] = ROWS(T0),
    [NBI_OP_SHAPE] = ROWS(T0, {"out_type", A_T_OUT0}),
    [NBI_OP_SIZE] = ROWS(T0, {"out_type", A_T_OUT0}),
    [NBI_OP_RANK] = ROWS(T0),
    [NBI_OP_BROADCAST_GRADIENT_ARGS] = ROWS(T0),
    [NBI_OP_UNSORTED_SEGMENT_SUM] = ROWS(T0, {"Tindices", A_T_IN1}, {"Tnumsegments", A_T_IN2}),
    [NBI_OP_RANGE] = ROWS({"Tidx", A_T_IN0}),
    /* Linear algebra */
    [NBI_OP_MATMUL] = ROWS(T0, {"transpose_a", A_TRANSPOSE_A}, {"transpose_b", A_TRANSPOSE_B}),
    [NBI_OP_BATCH_MATMUL] = ROWS(T0, {"adj_x", A_TRANSPOSE_A}, {"adj_y", A_TRANSPOSE_B}),
    /* Random */
    [NBI_OP_RANDOM_NORMAL] = ROWS({"T", A_T_IN0}, {"dtype", A_DTYPE}, {"seed", A_SEED}, {"seed2", A_SEED2}),
    [NBI_OP_RANDOM_UNIFORM] = ROWS({"T", A_T_IN0}, {"dtype", A_DTYPE}, {"seed", A_SEED}, {"seed2", A_SEED2}),
    [NBI_OP_TRUNCATED_NORMAL] = ROWS({"T", A_T_IN0}, {"dtype", A_DTYPE}, {"seed", A_SEED},
                                     {"seed2", A_SEED2}),
    /* Optimizer updates */
    [NBI_OP_APPLY_GRADIENT_DESCENT] = ROWS(T0, {"_class", A_CLASS}, {"use_locking", A_FALSE}),
    [NBI_OP_APPLY_MOMENTUM] = ROWS(T0, {"_class", A_CLASS}, {"use_locking", A_FALSE},
                                   {"use_nesterov", A_USE_NESTEROV}),
    [NBI_OP_APPLY_ADAGRAD] = ROWS(T0, {"_class", A_CLASS}, {"update_slots", A_TRUE}, {"use_locking", A_FALSE}),
    [NBI_OP_APPLY_RMSPROP] = ROWS(T0, {"_class", A_CLASS}, {"use_locking", A_FALSE}),
    [NBI_OP_APPLY_ADAM] = ROWS(T0, {"_class", A_CLASS}, {"use_locking", A_FALSE}, {"use_nesterov", A_FALSE}),
    /* Summaries */
    /* Convolution, pooling, batch norm (NHWC only) */
    [NBI_OP_CONV2D] = ROWS(T0, {"data_format", A_NHWC}, {"dilations", A_DILATIONS}, {"padding", A_PADDING},
                           {"strides", A_STRIDES}, {"use_cudnn_on_gpu", A_TRUE}),
    [NBI_OP_CONV2D_BACKPROP_INPUT] = ROWS({"T", A_T_IN1}, {"data_format", A_NHWC}, {"dilations", A_DILATIONS},
                                          {"padding", A_PADDING}, {"strides", A_STRIDES},
                                          {"use_cudnn_on_gpu", A_TRUE}),
    [NBI_OP_CONV2D_BACKPROP_FILTER] = ROWS(T0, {"data_format", A_NHWC}, {"dilations", A_DILATIONS},
                                           {"padding", A_PADDING}, {"strides", A_STRIDES},
                                           {"use_cudnn_on_gpu", A_TRUE}),
    [NBI_OP_MAX_POOL] = ROWS(T0, {"data_format", A_NHWC}, {"ksize", A_KSIZE}, {"padding", A_PADDING},
                             {"strides", A_STRIDES}),
    [NBI_OP_MAX_POOL_GRAD] = ROWS(T0, {"data_format", A_NHWC}, {"ksize", A_KSIZE}, {"padding", A_PADDING},
                                  {"strides", A_STRIDES}),
    [NBI_OP_AVG_POOL] = ROWS(T0, {"data_format", A_NHWC}, {"ksize", A_KSIZE}, {"padding", A_PADDING},
                             {"strides", A_STRIDES}),
    [NBI_OP_AVG_POOL_GRAD] = ROWS({"T", A_T_IN1}, {"data_format", A_NHWC}, {"ksize", A_KSIZE},
                                  {"padding", A_PADDING}, {"strides", A_STRIDES}),
    [NBI_OP_FUSED_BATCH_NORM] = ROWS(T0, {"data_format", A_NHWC}, {"epsilon", A_F0},
                                     {"is_training", A_IS_TRAINING}),
    [NBI_OP_FUSED_BATCH_NORM_GRAD] = ROWS(T0, {"data_format", A_NHWC}, {"epsilon", A_F0},
                                          {"is_training", A_IS_TRAINING}),
    /* Neural-network ops with attributes */
    [NBI_OP_LEAKY_RELU] = ROWS(T0, {"alpha", A_F0}),
    [NBI_OP_LEAKY_RELU_GRAD] = ROWS(T0, {"alpha", A_F0}),
    [NBI_OP_GELU] = ROWS(T0, {"approximate", A_APPROXIMATE}),
    [NBI_OP_GELU_GRAD] = ROWS(T0, {"approximate", A_APPROXIMATE}),
    [NBI_OP_BIAS_ADD] = ROWS(T0, {"data_format", A_NHWC}),
    [NBI_OP_BIAS_ADD_GRAD] = ROWS(T0, {"data_format", A_NHWC}),
    /* Collectives (Horovod's attrs; reduce_op: 0 Average, 1 Sum, in attrs.axis) */
    [NBI_OP_DIST_ALLREDUCE] = ROWS(T0, {"reduce_op", A_AXIS}),
    [NBI_OP_DIST_GROUPED_ALLREDUCE] = ROWS(T0, {"num_tensors", A_N}, {"reduce_op", A_AXIS}),
    [NBI_OP_DIST_BROADCAST] = ROWS(T0, {"root_rank", A_ZERO}),
    [NBI_OP_DIST_ALLREDUCE_START] = ROWS(T0, {"num_tensors", A_N}, {"reduce_op", A_AXIS}),
    [NBI_OP_SCALAR_SUMMARY] = ROWS({"T", A_T_IN1}),
    [NBI_OP_HISTOGRAM_SUMMARY] = ROWS({"T", A_T_IN1}),
    [NBI_OP_IMAGE_SUMMARY] = ROWS({"T", A_T_IN1}, {"max_images", A_I0}),
    [NBI_OP_MERGE_SUMMARY] = ROWS({"N", A_N}),
    /* Slicing (src/ops/slicing.c) */
    [NBI_OP_STRIDED_SLICE] = ROWS(T0, {"Index", A_T_IN1}, {"begin_mask", A_I0}, {"ellipsis_mask", A_I2},
                                  {"end_mask", A_I1}, {"new_axis_mask", A_I3}, {"shrink_axis_mask", A_I4}),
    [NBI_OP_STRIDED_SLICE_GRAD] = ROWS({"Index", A_T_IN0}, {"T", A_T_LAST}, {"begin_mask", A_I0},
                                       {"ellipsis_mask", A_I2}, {"end_mask", A_I1}, {"new_axis_mask", A_I3},
                                       {"shrink_axis_mask", A_I4}),
    [NBI_OP_UNPACK] = ROWS(T0, {"axis", A_AXIS}, {"num", A_I0}),
    [NBI_OP_SPLIT] = ROWS({"T", A_T_IN1}, {"num_split", A_I0}),
    [NBI_OP_SPLIT_V] = ROWS(T0, {"Tlen", A_T_IN1}, {"num_split", A_I0}),
    /* src/ops/misc.c */
    [NBI_OP_PLACEHOLDER_WITH_DEFAULT] = ROWS({"dtype", A_DTYPE}, {"shape", A_SHAPE}),
    [NBI_OP_PRINT] = ROWS(T0, {"U", A_T_REST}, {"first_n", A_I0}, {"message", A_MESSAGE}, {"summarize", A_I1}),
    [NBI_OP_LIN_SPACE] = ROWS(T0, {"Tidx", A_T_IN2}),
    /* src/ops/scan.c */
    [NBI_OP_REVERSE_V2] = ROWS(T0, {"Tidx", A_T_IN1}),
    [NBI_OP_CUMSUM] = ROWS(T0, {"Tidx", A_T_IN1}, {"exclusive", A_B0}, {"reverse", A_B1}),
    [NBI_OP_ANY] = ROWS({"Tidx", A_T_IN1}, {"keep_dims", A_KEEP_DIMS}),
    [NBI_OP_ALL] = ROWS({"Tidx", A_T_IN1}, {"keep_dims", A_KEEP_DIMS}),
    /* src/ops/topk.c */
    [NBI_OP_TOP_K] = ROWS(T0, {"sorted", A_B0}),
    [NBI_OP_IN_TOP_K] = ROWS({"T", A_T_IN1}),
    /* src/ops/gather_nd.c */
    [NBI_OP_GATHER_ND] = ROWS({"Tindices", A_T_IN1}, {"Tparams", A_T_IN0}),
    [NBI_OP_SCATTER_ND] = ROWS({"T", A_T_IN1}, {"Tindices", A_T_IN0}),
};

/* Ops not in the table (elementwise math and their *Grad helpers) carry only T,
 * the dtype of input 0, as TensorFlow's do. */
static const attr_row default_attrs[] = {T0, {NULL, A_END}};

const attr_row *nbi_graphdef_attr_rows(int type) {
    if (type < 0 || type >= NBI_OP_COUNT) return default_attrs;
    return attr_table[type] ? attr_table[type] : default_attrs;
}

/*** Builders ***/

typedef Tensorflow__AttrValue AttrValue;
typedef Tensorflow__NodeDef__AttrEntry AttrEntry;

static bool is_summary_op(int type) {
    return type == NBI_OP_SCALAR_SUMMARY || type == NBI_OP_HISTOGRAM_SUMMARY || type == NBI_OP_IMAGE_SUMMARY ||
           type == NBI_OP_MERGE_SUMMARY;
}

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
static AttrValue *attr_value(arena *a, const nb_op *op, attr_src src, bool string_const, bool *skip) {
    *skip = false;
    switch (src) {
    case A_T_IN0:
    case A_T_IN1:
    case A_T_IN2: {
        int i = (int)(src - A_T_IN0);
        if (i >= op->n_inputs) break;
        return attr_type(a, nbi_in_dtype(op, i));
    }
    case A_T_LAST:
        if (op->n_inputs < 1) break;
        return attr_type(a, nbi_in_dtype(op, op->n_inputs - 1));
    case A_T_OUT0:
        if (op->n_outputs < 1) break;
        return attr_type(a, op->out_dtype[0]);
    case A_DTYPE:
        return attr_type(a, string_const ? (nb_dtype)TENSORFLOW__DATA_TYPE__DT_STRING : op->attrs.dtype);
    case A_INT32: return attr_type(a, NB_INT32);
    case A_INT64: return attr_type(a, NB_INT64);
    case A_SHAPE: {
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_SHAPE);
        if (v && !(v->shape = shape_proto(a, &op->attrs.shape))) return NULL;
        return v;
    }
    case A_VALUE: {
        if (!op->value) break;
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_TENSOR);
        if (v && !(v->tensor = string_const ? string_proto(a, op->value) : tensor_proto(a, op->value)))
            return NULL;
        return v;
    }
    case A_TRANSPOSE_A: return attr_bool(a, op->attrs.transpose_a);
    case A_TRANSPOSE_B: return attr_bool(a, op->attrs.transpose_b);
    case A_KEEP_DIMS: return attr_bool(a, op->attrs.keep_dims);
    case A_USE_NESTEROV: return attr_bool(a, op->attrs.use_nesterov);
    case A_TRUE: return attr_bool(a, true);
    case A_FALSE: return attr_bool(a, false);
    case A_SEED: return attr_int(a, op->attrs.seed == NB_SEED_NONE ? 0 : op->attrs.seed);
    case A_SEED2: return attr_int(a, op->attrs.seed2 == NB_SEED_NONE ? 0 : op->attrs.seed2);
    case A_AXIS: return attr_int(a, op->attrs.axis);
    case A_ZERO: return attr_int(a, 0);
    case A_N: return attr_int(a, op->n_inputs);
    case A_N_MINUS_1: return attr_int(a, op->n_inputs - 1);
    case A_INTS: {
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
    case A_EMPTY_S: {
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_S);
        if (v) v->s.data = (uint8_t *)(uintptr_t)"";
        return v;
    }
    case A_CLASS: {
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
    case A_STRIDES:
    case A_DILATIONS:
    case A_KSIZE: {
        if (op->attrs.n_ints < 5) break;
        int64_t h = src == A_STRIDES ? op->attrs.ints[0] : op->attrs.ints[2];
        int64_t w = src == A_STRIDES ? op->attrs.ints[1] : op->attrs.ints[3];
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
    case A_PADDING:
    case A_NHWC: {
        if (src == A_PADDING && op->attrs.n_ints < 5) break;
        const char *str = src == A_NHWC ? "NHWC" : op->attrs.ints[4] ? "SAME" : "VALID";
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_S);
        if (v) {
            v->s.data = (uint8_t *)(uintptr_t)str;
            v->s.len = strlen(str);
        }
        return v;
    }
    case A_F0: {
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_F);
        if (v) v->f = (float)op->attrs.f[0];
        return v;
    }
    case A_IS_TRAINING: return attr_bool(a, op->attrs.keep_dims);
    case A_APPROXIMATE: return attr_bool(a, op->attrs.ints[0] != 0);
    case A_I0: case A_I1: case A_I2: case A_I3: case A_I4:
        return attr_int(a, op->attrs.ints[src - A_I0]);
    case A_B0: case A_B1:
        return attr_bool(a, op->attrs.ints[src - A_B0] != 0);
    case A_MESSAGE: {
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_S);
        const char *m = op->attrs.message ? op->attrs.message : "";
        if (v) {
            v->s.data = (uint8_t *)(uintptr_t)m;
            v->s.len = strlen(m);
        }
        return v;
    }
    case A_T_REST: {
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
    case A_MIRROR_MODE: {
        if (op->attrs.ints[0] != NB_PAD_REFLECT && op->attrs.ints[0] != NB_PAD_SYMMETRIC) break;
        const char *str = op->attrs.ints[0] == NB_PAD_REFLECT ? "REFLECT" : "SYMMETRIC";
        AttrValue *v = attr_new(a, TENSORFLOW__ATTR_VALUE__VALUE_S);
        if (v) {
            v->s.data = (uint8_t *)(uintptr_t)str;
            v->s.len = strlen(str);
        }
        return v;
    }
    case A_END: break;
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

    const attr_row *rows = nbi_graphdef_attr_rows(op->type);
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
            v = attr_value(a, op, rows[r].src, string_const, &skip);
            if (skip) continue;
        } else {
            key = "_output_shapes";
            v = output_shapes(a, op, string_const || is_summary_op(op->type));
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
        if ((op->type == NBI_OP_SCALAR_SUMMARY || op->type == NBI_OP_HISTOGRAM_SUMMARY ||
             op->type == NBI_OP_IMAGE_SUMMARY) &&
            op->n_inputs > 0 && op->inputs[0].op->type == NBI_OP_CONST)
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
