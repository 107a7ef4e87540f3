/*
 * _nabla.c — the module nabla._nabla: Graph, Output and Op types, the error
 * classes, set_classes and the argument converters the other files share.
 * Every rule (names, shapes, dtypes, messages) is libnabla's; this file only
 * moves values between Python and the C API.
 */
#define NBPY_IMPORT_ARRAY
#include "_nabla.h"

#include <string.h>

PyTypeObject *nbpy_tensor_cls = &NbpyOutput_Type;
PyTypeObject *nbpy_operation_cls = &NbpyOp_Type;
static PyObject *err_classes[NB_STATUS_COUNT];

/*** errors ***/

PyObject *nbpy_raise_status(nb_status code, const char *message) {
    PyObject *cls = (code >= 0 && code < NB_STATUS_COUNT) ? err_classes[code] : NULL;
    if (code == NB_ERR_OUT_OF_MEMORY && !cls) return PyErr_NoMemory();
    if (!cls) {
        PyErr_SetString(PyExc_RuntimeError, message);
        return NULL;
    }
    PyObject *exc = PyObject_CallFunction(cls, "OOs", Py_None, Py_None, message);
    if (exc) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

PyObject *nbpy_raise_graph(nb_status code, const char *message) {
    if (code == NB_ERR_OUT_OF_MEMORY) return PyErr_NoMemory();
    PyErr_SetString(code == NB_ERR_DTYPE ? PyExc_TypeError : PyExc_ValueError, message);
    return NULL;
}

static PyObject *set_error_classes(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyDict_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "set_error_classes expects a dict {status code: class}");
        return NULL;
    }
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(arg, &pos, &key, &value)) {
        long code = PyLong_AsLong(key);
        if (code == -1 && PyErr_Occurred()) return NULL;
        if (code <= 0 || code >= NB_STATUS_COUNT) {
            PyErr_Format(PyExc_ValueError, "no nabla status code %ld", code);
            return NULL;
        }
        if (!PyCallable_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "error classes must be callable");
            return NULL;
        }
        Py_INCREF(value);
        Py_XSETREF(err_classes[code], value);
    }
    Py_RETURN_NONE;
}

static PyObject *get_error_classes(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    PyObject *d = PyDict_New();
    for (int i = 1; d && i < NB_STATUS_COUNT; i++) {
        if (!err_classes[i]) continue;
        PyObject *k = PyLong_FromLong(i);
        if (!k || PyDict_SetItem(d, k, err_classes[i]) < 0) Py_CLEAR(d);
        Py_XDECREF(k);
    }
    return d;
}

static PyObject *get_classes(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyTuple_Pack(2, (PyObject *)nbpy_tensor_cls, (PyObject *)nbpy_operation_cls);
}

static PyObject *set_classes(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *t, *o;
    if (!PyArg_ParseTuple(args, "OO:set_classes", &t, &o)) return NULL;
    if (!PyType_Check(t) || !PyType_IsSubtype((PyTypeObject *)t, &NbpyOutput_Type) ||
        !PyType_Check(o) || !PyType_IsSubtype((PyTypeObject *)o, &NbpyOp_Type)) {
        PyErr_SetString(PyExc_TypeError,
                        "set_classes(tensor_cls, operation_cls): subclasses of _nabla.Output and _nabla.Op");
        return NULL;
    }
    Py_INCREF(t);
    Py_INCREF(o);
    PyTypeObject *old_t = nbpy_tensor_cls, *old_o = nbpy_operation_cls;
    nbpy_tensor_cls = (PyTypeObject *)t;
    nbpy_operation_cls = (PyTypeObject *)o;
    Py_DECREF(old_t);
    Py_DECREF(old_o);
    Py_RETURN_NONE;
}

/*** converters ***/

int nbpy_graph_conv(PyObject *obj, void *out) {
    if (!PyObject_TypeCheck(obj, &NbpyGraph_Type)) {
        PyErr_Format(PyExc_TypeError, "expected a _nabla.Graph, got %.200s", Py_TYPE(obj)->tp_name);
        return 0;
    }
    if (!((NbpyGraph *)obj)->g) {
        PyErr_SetString(PyExc_ValueError, "the graph has no nabla graph (was __init__ skipped?)");
        return 0;
    }
    *(NbpyGraph **)out = (NbpyGraph *)obj;
    return 1;
}

int nbpy_output_conv(PyObject *obj, void *out) {
    if (!PyObject_TypeCheck(obj, &NbpyOutput_Type) || !((NbpyOutput *)obj)->op) {
        PyErr_Format(PyExc_TypeError, "expected a Tensor (_nabla.Output), got %.200s",
                     Py_TYPE(obj)->tp_name);
        return 0;
    }
    *(NbpyOutput **)out = (NbpyOutput *)obj;
    return 1;
}

int nbpy_opt_output_conv(PyObject *obj, void *out) {
    if (obj == Py_None) {
        *(NbpyOutput **)out = NULL;
        return 1;
    }
    return nbpy_output_conv(obj, out);
}

int nbpy_name_conv(PyObject *obj, void *out) {
    if (obj == Py_None) {
        *(const char **)out = NULL;
        return 1;
    }
    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "expected a str or None, got %.200s", Py_TYPE(obj)->tp_name);
        return 0;
    }
    const char *s = PyUnicode_AsUTF8(obj);
    if (!s) return 0;
    *(const char **)out = s;
    return 1;
}

int nbpy_dtype_conv(PyObject *obj, void *out) {
    nb_dtype dt = NB_DTYPE_INVALID;
    if (PyLong_Check(obj)) {
        long v = PyLong_AsLong(obj);
        if (v == -1 && PyErr_Occurred()) return 0;
        dt = (nb_dtype)v;
        if (v < 0 || v > 64 || nb_dtype_size(dt) == 0) dt = NB_DTYPE_INVALID;
    } else if (PyType_Check(obj) || PyUnicode_Check(obj) || PyArray_DescrCheck(obj)) {
        PyArray_Descr *d = NULL;
        if (PyArray_DescrConverter2(obj, &d) && d) {
            dt = nbpy_nb_dtype(d->type_num);
            Py_DECREF(d);
        }
        PyErr_Clear();
    }
    if (dt == NB_DTYPE_INVALID) {
        PyObject *r = PyObject_Repr(obj);
        if (!r) return 0;
        PyErr_Format(PyExc_TypeError, "%S is not a nabla dtype (float32 1, float64 2, int32 3, "
                     "uint8 4, int64 9, bool 10)", r);
        Py_DECREF(r);
        return 0;
    }
    *(nb_dtype *)out = dt;
    return 1;
}

static int as_int64(PyObject *o, int64_t *v) {
    long long x = PyLong_AsLongLong(o);
    if (x == -1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyObject *i = PyNumber_Index(o);
            if (!i) return -1;
            x = PyLong_AsLongLong(i);
            Py_DECREF(i);
            if (x == -1 && PyErr_Occurred()) return -1;
        } else {
            return -1;
        }
    }
    *v = (int64_t)x;
    return 0;
}

int nbpy_shape_conv(PyObject *obj, void *out) {
    nb_shape *s = out;
    if (obj == Py_None) {
        *s = nb_shape_make(-1, NULL);
        return 1;
    }
    PyObject *seq = PySequence_Fast(obj, "a shape must be None or a sequence of ints/None");
    if (!seq) return 0;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > NB_MAX_RANK) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "rank %zd is above nabla's maximum rank %d", n, NB_MAX_RANK);
        return 0;
    }
    int64_t dims[NB_MAX_RANK];
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *d = PySequence_Fast_GET_ITEM(seq, i);
        if (d == Py_None) {
            dims[i] = NB_DIM_UNKNOWN;
        } else if (as_int64(d, &dims[i]) < 0) {
            Py_DECREF(seq);
            return 0;
        } else if (dims[i] < -1) {
            Py_DECREF(seq);
            PyErr_Format(PyExc_ValueError, "Dimension %lld must be >= 0", (long long)dims[i]);
            return 0;
        }
    }
    Py_DECREF(seq);
    *s = nb_shape_make((int)n, dims);
    return 1;
}

int nbpy_seed_conv(PyObject *obj, void *out) {
    if (obj == Py_None) {
        *(int64_t *)out = NB_SEED_NONE;
        return 1;
    }
    return as_int64(obj, out) == 0;
}

int nbpy_bool_conv(PyObject *obj, void *out) {
    int r = PyObject_IsTrue(obj);
    if (r < 0) return 0;
    *(bool *)out = r != 0;
    return 1;
}

int nbpy_ints_conv(PyObject *obj, void *out) {
    nbpy_ints *v = out;
    if (obj == Py_None) {
        v->n = -1;
        return 1;
    }
    /* an int, a numpy integer scalar or a 0-d array is one value; other sequences (lists,
     * tuples, 1-d arrays) are lists */
    if (PyLong_Check(obj) || (PyArray_Check(obj) && PyArray_NDIM((PyArrayObject *)obj) == 0) ||
        (PyIndex_Check(obj) && !PySequence_Check(obj))) {
        v->n = 1;
        return as_int64(obj, &v->v[0]) == 0;
    }
    PyObject *seq = PySequence_Fast(obj, "expected an int, a sequence of ints or None");
    if (!seq) return 0;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > 64) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "at most 64 values");
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (as_int64(PySequence_Fast_GET_ITEM(seq, i), &v->v[i]) < 0) {
            Py_DECREF(seq);
            return 0;
        }
    }
    Py_DECREF(seq);
    v->n = (int)n;
    return 1;
}

void nbpy_outs_clear(nbpy_outs *o) {
    PyMem_Free(o->v);
    o->v = NULL;
    o->n = 0;
}

int nbpy_outs_conv(PyObject *obj, void *out) {
    nbpy_outs *o = out;
    if (!obj) { /* cleanup call */
        nbpy_outs_clear(o);
        return 1;
    }
    o->v = NULL;
    o->n = 0;
    o->graph = NULL;
    PyObject *seq = PySequence_Fast(obj, "expected a list of Tensors");
    if (!seq) return 0;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > INT32_MAX / 2) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "too many tensors");
        return 0;
    }
    o->v = PyMem_Malloc(sizeof(nb_output) * (size_t)(n ? n : 1));
    if (!o->v) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *it = PySequence_Fast_GET_ITEM(seq, i);
        NbpyGraph *gr;
        if (PyObject_TypeCheck(it, &NbpyOutput_Type) && ((NbpyOutput *)it)->op) {
            o->v[i].op = ((NbpyOutput *)it)->op;
            o->v[i].index = ((NbpyOutput *)it)->index;
            gr = ((NbpyOutput *)it)->graph;
        } else if (PyObject_TypeCheck(it, &NbpyOp_Type) && ((NbpyOp *)it)->op) {
            o->v[i].op = ((NbpyOp *)it)->op; /* an op stands for its output 0 / itself */
            o->v[i].index = 0;
            gr = ((NbpyOp *)it)->graph;
        } else {
            Py_DECREF(seq);
            nbpy_outs_clear(o);
            PyErr_Format(PyExc_TypeError, "expected Tensors or Operations in the list, got %.200s",
                         Py_TYPE(it)->tp_name);
            return 0;
        }
        if (!o->graph) o->graph = gr;
        if (gr != o->graph) {
            Py_DECREF(seq);
            nbpy_outs_clear(o);
            PyErr_SetString(PyExc_ValueError, "the tensors in a list must be from the same graph");
            return 0;
        }
    }
    Py_DECREF(seq);
    o->n = (int)n;
    return Py_CLEANUP_SUPPORTED;
}

/* str() of the tensor: the Python layer's TF1 text, e.g. Tensor("x:0", shape=(), dtype=float32) */
static PyObject *describe(NbpyOutput *o) { return PyObject_Str((PyObject *)o); }

int nbpy_check_graph(NbpyGraph *graph, NbpyOutput *const *outs, int n) {
    for (int i = 0; i < n; i++) {
        if (outs[i] && outs[i]->graph != graph) {
            PyObject *d = describe(outs[i]);
            if (!d) return -1;
            PyErr_Format(PyExc_ValueError, "%U must be from the same graph as the op being built",
                         d);
            Py_DECREF(d);
            return -1;
        }
    }
    return 0;
}

int nbpy_check_graph_outs(NbpyGraph *graph, const nbpy_outs *o) {
    if (o->n > 0 && o->graph != graph) {
        PyErr_SetString(PyExc_ValueError,
                        "the tensors must be from the same graph as the op being built");
        return -1;
    }
    return 0;
}

/*** builder protocol ***/

void nbpy_build_begin(NbpyGraph *graph) {
    if (pthread_rwlock_trywrlock(&graph->lock) != 0) {
        Py_BEGIN_ALLOW_THREADS
        pthread_rwlock_wrlock(&graph->lock);
        Py_END_ALLOW_THREADS
    }
}

int nbpy_build_end(NbpyGraph *graph) {
    nb_status st = nb_graph_status(graph->g);
    if (st == NB_OK) {
        pthread_rwlock_unlock(&graph->lock);
        return 0;
    }
    char msg[2048];
    snprintf(msg, sizeof msg, "%s", nb_graph_errmsg(graph->g));
    nb_graph_clear_error(graph->g);
    pthread_rwlock_unlock(&graph->lock);
    nbpy_raise_graph(st, msg);
    return -1;
}

PyObject *nbpy_build_result(NbpyGraph *graph, nb_output o) {
    if (nbpy_build_end(graph) < 0) return NULL;
    return nbpy_output_new(graph, o);
}

/*** Output ***/

PyObject *nbpy_output_new(NbpyGraph *graph, nb_output o) {
    if (!o.op) Py_RETURN_NONE;
    NbpyOutput *r = (NbpyOutput *)nbpy_tensor_cls->tp_alloc(nbpy_tensor_cls, 0);
    if (!r) return NULL;
    Py_INCREF(graph);
    r->graph = graph;
    r->op = o.op;
    r->index = o.index;
    return (PyObject *)r;
}

PyObject *nbpy_outputs_list(NbpyGraph *graph, const nb_output *o, int n) {
    PyObject *l = PyList_New(n);
    if (!l) return NULL;
    for (int i = 0; i < n; i++) {
        PyObject *x = nbpy_output_new(graph, o[i]);
        if (!x) {
            Py_DECREF(l);
            return NULL;
        }
        PyList_SET_ITEM(l, i, x);
    }
    return l;
}

/* Outputs and Ops take part in the cycle collector: a Graph subclass that keeps
 * its tensors (tf.Graph's collections) forms a cycle through them. Clearing
 * drops the op too, so a cleared object is inert. */
static void output_dealloc(NbpyOutput *self) {
    PyObject_GC_UnTrack(self);
    Py_CLEAR(self->graph);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int output_traverse(NbpyOutput *self, visitproc visit, void *arg) {
    Py_VISIT(self->graph);
    return 0;
}

static int output_clear(NbpyOutput *self) {
    self->op = NULL;
    Py_CLEAR(self->graph);
    return 0;
}

static PyObject *output_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    (void)args;
    (void)kw;
    /* Made by builders only; a bare instance is inert (every use raises TypeError). */
    return type->tp_alloc(type, 0);
}

static nb_output out_of(NbpyOutput *self) { return (nb_output){self->op, self->index}; }

static PyObject *output_name(NbpyOutput *self, void *c) {
    (void)c;
    if (!self->op) Py_RETURN_NONE;
    char buf[1024];
    nb_output_name(out_of(self), buf, sizeof buf);
    return PyUnicode_FromString(buf);
}

static PyObject *output_dtype(NbpyOutput *self, void *c) {
    (void)c;
    if (!self->op) Py_RETURN_NONE;
    return PyLong_FromLong((long)nb_output_dtype(out_of(self)));
}

static PyObject *shape_to_py(nb_shape s) {
    if (s.rank < 0) Py_RETURN_NONE;
    PyObject *t = PyTuple_New(s.rank);
    if (!t) return NULL;
    for (int i = 0; i < s.rank; i++) {
        PyObject *d;
        if (s.dims[i] < 0) {
            Py_INCREF(Py_None);
            d = Py_None;
        } else {
            d = PyLong_FromLongLong((long long)s.dims[i]);
            if (!d) {
                Py_DECREF(t);
                return NULL;
            }
        }
        PyTuple_SET_ITEM(t, i, d);
    }
    return t;
}

static PyObject *output_shape(NbpyOutput *self, void *c) {
    (void)c;
    if (!self->op) Py_RETURN_NONE;
    return shape_to_py(nb_output_shape(out_of(self)));
}

static PyObject *output_op(NbpyOutput *self, void *c) {
    (void)c;
    if (!self->op) Py_RETURN_NONE;
    return nbpy_op_new(self->graph, self->op);
}

static PyObject *output_index(NbpyOutput *self, void *c) {
    (void)c;
    return PyLong_FromLong(self->index);
}

static PyObject *output_graph(NbpyOutput *self, void *c) {
    (void)c;
    if (!self->graph) Py_RETURN_NONE;
    Py_INCREF(self->graph);
    return (PyObject *)self->graph;
}

static Py_hash_t ptr_hash(const void *p, int index) {
    Py_hash_t h = (Py_hash_t)((uintptr_t)p >> 4) * 1000003 + index;
    return h == -1 ? -2 : h;
}

static Py_hash_t output_hash(NbpyOutput *self) { return ptr_hash(self->op, self->index); }

static PyObject *output_richcompare(PyObject *a, PyObject *b, int op) {
    if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(a, &NbpyOutput_Type) ||
        !PyObject_TypeCheck(b, &NbpyOutput_Type))
        Py_RETURN_NOTIMPLEMENTED;
    NbpyOutput *x = (NbpyOutput *)a, *y = (NbpyOutput *)b;
    bool eq = x->graph == y->graph && x->op == y->op && x->index == y->index;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static PyObject *output_repr(NbpyOutput *self) {
    if (!self->op) return PyUnicode_FromString("<_nabla.Output (empty)>");
    char buf[1024], sb[256];
    nb_output o = out_of(self);
    nb_output_name(o, buf, sizeof buf);
    nb_shape_string(nb_output_shape(o), sb, sizeof sb);
    return PyUnicode_FromFormat("<_nabla.Output '%s' shape=%s dtype=%s>", buf, sb,
                                nb_dtype_name(nb_output_dtype(o)));
}

static PyObject *output_consumers(NbpyOutput *self, PyObject *unused) {
    (void)unused;
    PyObject *l = PyList_New(0);
    if (!l || !self->op) return l;
    int n = nb_graph_num_ops(self->graph->g);
    for (int i = 0; i < n; i++) {
        nb_op *op = nb_graph_op(self->graph->g, i);
        int k = nb_op_num_inputs(op);
        for (int j = 0; j < k; j++) {
            nb_output in = nb_op_input(op, j);
            if (in.op == self->op && in.index == self->index) {
                PyObject *x = nbpy_op_new(self->graph, op);
                if (!x || PyList_Append(l, x) < 0) {
                    Py_XDECREF(x);
                    Py_DECREF(l);
                    return NULL;
                }
                Py_DECREF(x);
                break;
            }
        }
    }
    return l;
}

static PyGetSetDef output_getset[] = {
    {"name", (getter)output_name, NULL, "\"scope/op:k\"", NULL},
    {"dtype", (getter)output_dtype, NULL, "the nb_dtype / TF DataType number", NULL},
    {"shape", (getter)output_shape, NULL, "None (unknown rank) or a tuple, None for unknown dims", NULL},
    {"op", (getter)output_op, NULL, "the producing Op", NULL},
    {"value_index", (getter)output_index, NULL, "the output index k", NULL},
    {"graph", (getter)output_graph, NULL, "the _nabla.Graph", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef output_methods[] = {
    {"consumers", (PyCFunction)output_consumers, METH_NOARGS, "ops that take this output as input"},
    {NULL, NULL, 0, NULL}};

PyTypeObject NbpyOutput_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nabla._nabla.Output",
    .tp_basicsize = sizeof(NbpyOutput),
    .tp_dealloc = (destructor)output_dealloc,
    .tp_repr = (reprfunc)output_repr,
    .tp_hash = (hashfunc)output_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "One output of an op: (graph, op, index).",
    .tp_traverse = (traverseproc)output_traverse,
    .tp_clear = (inquiry)output_clear,
    .tp_richcompare = output_richcompare,
    .tp_methods = output_methods,
    .tp_getset = output_getset,
    .tp_new = output_tp_new,
};

/*** Op ***/

PyObject *nbpy_op_new(NbpyGraph *graph, nb_op *op) {
    if (!op) Py_RETURN_NONE;
    NbpyOp *r = (NbpyOp *)nbpy_operation_cls->tp_alloc(nbpy_operation_cls, 0);
    if (!r) return NULL;
    Py_INCREF(graph);
    r->graph = graph;
    r->op = op;
    return (PyObject *)r;
}

static void op_dealloc(NbpyOp *self) {
    PyObject_GC_UnTrack(self);
    Py_CLEAR(self->graph);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int op_traverse(NbpyOp *self, visitproc visit, void *arg) {
    Py_VISIT(self->graph);
    return 0;
}

static int op_clear(NbpyOp *self) {
    self->op = NULL;
    Py_CLEAR(self->graph);
    return 0;
}

static PyObject *op_name(NbpyOp *self, void *c) {
    (void)c;
    if (!self->op) Py_RETURN_NONE;
    return PyUnicode_FromString(nb_op_name(self->op));
}

static PyObject *op_type(NbpyOp *self, void *c) {
    (void)c;
    if (!self->op) Py_RETURN_NONE;
    return PyUnicode_FromString(nb_op_type(self->op));
}

static PyObject *op_inputs(NbpyOp *self, void *c) {
    (void)c;
    int n = self->op ? nb_op_num_inputs(self->op) : 0;
    PyObject *t = PyTuple_New(n);
    for (int i = 0; t && i < n; i++) {
        PyObject *x = nbpy_output_new(self->graph, nb_op_input(self->op, i));
        if (!x) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, x);
    }
    return t;
}

static PyObject *op_outputs(NbpyOp *self, void *c) {
    (void)c;
    int n = self->op ? nb_op_num_outputs(self->op) : 0;
    PyObject *t = PyTuple_New(n);
    for (int i = 0; t && i < n; i++) {
        PyObject *x = nbpy_output_new(self->graph, nb_op_output(self->op, i));
        if (!x) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, x);
    }
    return t;
}

static PyObject *op_control_inputs(NbpyOp *self, void *c) {
    (void)c;
    int n = self->op ? nb_op_num_control_inputs(self->op) : 0;
    PyObject *t = PyTuple_New(n);
    for (int i = 0; t && i < n; i++) {
        PyObject *x = nbpy_op_new(self->graph, nb_op_control_input(self->op, i));
        if (!x) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, x);
    }
    return t;
}

static PyObject *op_graph(NbpyOp *self, void *c) {
    (void)c;
    if (!self->graph) Py_RETURN_NONE;
    Py_INCREF(self->graph);
    return (PyObject *)self->graph;
}

static Py_hash_t op_hash(NbpyOp *self) { return ptr_hash(self->op, -7); }

static PyObject *op_richcompare(PyObject *a, PyObject *b, int op) {
    if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(a, &NbpyOp_Type) ||
        !PyObject_TypeCheck(b, &NbpyOp_Type))
        Py_RETURN_NOTIMPLEMENTED;
    NbpyOp *x = (NbpyOp *)a, *y = (NbpyOp *)b;
    bool eq = x->graph == y->graph && x->op == y->op;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static PyObject *op_repr(NbpyOp *self) {
    if (!self->op) return PyUnicode_FromString("<_nabla.Op (empty)>");
    return PyUnicode_FromFormat("<_nabla.Op '%s' type=%s>", nb_op_name(self->op),
                                nb_op_type(self->op));
}

static PyGetSetDef op_getset[] = {
    {"name", (getter)op_name, NULL, "full name", NULL},
    {"type", (getter)op_type, NULL, "TensorFlow op type", NULL},
    {"inputs", (getter)op_inputs, NULL, "tuple of Output", NULL},
    {"outputs", (getter)op_outputs, NULL, "tuple of Output", NULL},
    {"control_inputs", (getter)op_control_inputs, NULL, "tuple of Op", NULL},
    {"graph", (getter)op_graph, NULL, "the _nabla.Graph", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject NbpyOp_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nabla._nabla.Op",
    .tp_basicsize = sizeof(NbpyOp),
    .tp_dealloc = (destructor)op_dealloc,
    .tp_repr = (reprfunc)op_repr,
    .tp_hash = (hashfunc)op_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "One node of a graph.",
    .tp_traverse = (traverseproc)op_traverse,
    .tp_clear = (inquiry)op_clear,
    .tp_richcompare = op_richcompare,
    .tp_getset = op_getset,
    .tp_new = output_tp_new,
};

/*** Graph ***/

static PyObject *graph_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    (void)args;
    (void)kw;
    NbpyGraph *self = (NbpyGraph *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    self->g = nb_graph_new();
    if (!self->g) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    pthread_rwlock_init(&self->lock, NULL);
    return (PyObject *)self;
}

static int graph_tp_init(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    (void)args;
    (void)kw;
    return 0; /* subclasses' __init__ may take arguments */
}

static void graph_dealloc(NbpyGraph *self) {
    if (self->weakreflist) PyObject_ClearWeakRefs((PyObject *)self);
    if (self->g) {
        nb_graph_free(self->g); /* sessions hold their own reference */
        pthread_rwlock_destroy(&self->lock);
        self->g = NULL;
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *graph_scope_push(NbpyGraph *self, PyObject *arg) {
    const char *name;
    if (!nbpy_name_conv(arg, &name)) return NULL;
    /* No Python object is made while the graph is locked: the cycle collector could
     * run then and close a session of this graph, which takes the same lock. */
    char buf[2048], before[2048];
    nbpy_build_begin(self);
    snprintf(before, sizeof before, "%s", nb_name_scope_current(self->g));
    const char *s = nb_name_scope_push(self->g, name);
    bool got = s != NULL;
    if (got) snprintf(buf, sizeof buf, "%s", s);
    /* a rejected name: libnabla pushed a stand-in scope; leave it so the caller's
     * scope is as before the call */
    if (nb_graph_status(self->g) != NB_OK && strcmp(nb_name_scope_current(self->g), before) != 0)
        nb_name_scope_pop(self->g);
    if (nbpy_build_end(self) < 0) return NULL;
    if (!got) Py_RETURN_NONE;
    return PyUnicode_FromString(buf);
}

static PyObject *graph_scope_pop(NbpyGraph *self, PyObject *unused) {
    (void)unused;
    nbpy_build_begin(self);
    nb_name_scope_pop(self->g);
    if (nbpy_build_end(self) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *graph_scope_current(NbpyGraph *self, PyObject *unused) {
    (void)unused;
    return PyUnicode_FromString(nb_name_scope_current(self->g));
}

static PyObject *graph_ctrl_push(NbpyGraph *self, PyObject *arg) {
    nbpy_outs o;
    if (!nbpy_outs_conv(arg, &o)) return NULL;
    if (nbpy_check_graph_outs(self, &o) < 0) {
        nbpy_outs_clear(&o);
        return NULL;
    }
    nbpy_build_begin(self);
    nb_control_dependencies_push(self->g, o.v, o.n);
    nbpy_outs_clear(&o);
    if (nbpy_build_end(self) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *graph_ctrl_pop(NbpyGraph *self, PyObject *unused) {
    (void)unused;
    nbpy_build_begin(self);
    nb_control_dependencies_pop(self->g);
    if (nbpy_build_end(self) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *graph_set_seed(NbpyGraph *self, PyObject *arg) {
    int64_t seed;
    if (!nbpy_seed_conv(arg, &seed)) return NULL;
    nbpy_build_begin(self);
    nb_graph_set_seed(self->g, seed);
    if (nbpy_build_end(self) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *graph_ops(NbpyGraph *self, PyObject *unused) {
    (void)unused;
    int n = nb_graph_num_ops(self->g);
    PyObject *l = PyList_New(n);
    for (int i = 0; l && i < n; i++) {
        PyObject *x = nbpy_op_new(self, nb_graph_op(self->g, i));
        if (!x) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, i, x);
    }
    return l;
}

static PyObject *graph_num_ops(NbpyGraph *self, PyObject *unused) {
    (void)unused;
    return PyLong_FromLong(nb_graph_num_ops(self->g));
}

static PyObject *graph_op_by_name(NbpyGraph *self, PyObject *arg) {
    const char *name;
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "op_by_name expects a str");
        return NULL;
    }
    if (!(name = PyUnicode_AsUTF8(arg))) return NULL;
    return nbpy_op_new(self, nb_graph_find_op(self->g, name));
}

static PyObject *graph_output_by_name(NbpyGraph *self, PyObject *arg) {
    const char *name;
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "output_by_name expects a str");
        return NULL;
    }
    if (!(name = PyUnicode_AsUTF8(arg))) return NULL;
    return nbpy_output_new(self, nb_graph_find_output(self->g, name));
}

static PyObject *graph_graphdef(NbpyGraph *self, PyObject *unused) {
    (void)unused;
    void *bytes = NULL;
    size_t len = 0;
    nb_status st = nb_graph_to_graphdef(self->g, &bytes, &len);
    if (st != NB_OK) return nbpy_raise_status(st, "could not serialize the graph");
    PyObject *r = PyBytes_FromStringAndSize(bytes, (Py_ssize_t)len);
    free(bytes);
    return r;
}

static PyObject *graph_variables(NbpyGraph *self, PyObject *unused) {
    (void)unused;
    int n = nb_graph_num_variables(self->g);
    PyObject *l = PyList_New(n);
    for (int i = 0; l && i < n; i++) {
        PyObject *x = nbpy_output_new(self, nb_graph_variable(self->g, i));
        if (!x) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, i, x);
    }
    return l;
}

static PyObject *graph_status(NbpyGraph *self, PyObject *unused) {
    (void)unused;
    return Py_BuildValue("is", (int)nb_graph_status(self->g), nb_graph_errmsg(self->g));
}

static PyMethodDef graph_methods[] = {
    {"name_scope_push", (PyCFunction)graph_scope_push, METH_O, "push(name) -> new scope \"a/b/\""},
    {"name_scope_pop", (PyCFunction)graph_scope_pop, METH_NOARGS, "leave the innermost scope"},
    {"name_scope_current", (PyCFunction)graph_scope_current, METH_NOARGS, "current scope"},
    {"control_dependencies_push", (PyCFunction)graph_ctrl_push, METH_O, "push(list of Output/Op)"},
    {"control_dependencies_pop", (PyCFunction)graph_ctrl_pop, METH_NOARGS, "pop"},
    {"set_seed", (PyCFunction)graph_set_seed, METH_O, "graph-level seed"},
    {"ops", (PyCFunction)graph_ops, METH_NOARGS, "list of Op in creation order"},
    {"num_ops", (PyCFunction)graph_num_ops, METH_NOARGS, "number of ops"},
    {"op_by_name", (PyCFunction)graph_op_by_name, METH_O, "Op or None"},
    {"output_by_name", (PyCFunction)graph_output_by_name, METH_O, "Output or None"},
    {"graphdef", (PyCFunction)graph_graphdef, METH_NOARGS, "serialized GraphDef bytes"},
    {"variables", (PyCFunction)graph_variables, METH_NOARGS, "variables' read outputs"},
    {"status", (PyCFunction)graph_status, METH_NOARGS, "(code, message); always (0, '') from Python"},
    {NULL, NULL, 0, NULL}};

PyTypeObject NbpyGraph_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nabla._nabla.Graph",
    .tp_basicsize = sizeof(NbpyGraph),
    .tp_dealloc = (destructor)graph_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A nabla graph (owns an nb_graph).",
    .tp_weaklistoffset = offsetof(NbpyGraph, weakreflist),
    .tp_methods = graph_methods,
    .tp_init = graph_tp_init,
    .tp_new = graph_tp_new,
};

/*** module ***/

static PyObject *mod_version(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyUnicode_FromString(nb_version());
}

static PyObject *mod_set_num_threads(PyObject *self, PyObject *arg) {
    (void)self;
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    nb_set_num_threads(n > INT32_MAX ? INT32_MAX : n < INT32_MIN ? INT32_MIN : (int)n);
    Py_RETURN_NONE;
}

static PyObject *mod_get_num_threads(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyLong_FromLong(nb_get_num_threads());
}

static PyObject *mod_variable_is_trainable(PyObject *self, PyObject *arg) {
    (void)self;
    NbpyOutput *o;
    if (!nbpy_output_conv(arg, &o)) return NULL;
    return PyBool_FromLong(nb_variable_is_trainable((nb_output){o->op, o->index}));
}

static PyObject *mod_variable_op(PyObject *self, PyObject *arg) {
    (void)self;
    NbpyOutput *o;
    if (!nbpy_output_conv(arg, &o)) return NULL;
    return nbpy_op_new(o->graph, nb_variable_op((nb_output){o->op, o->index}));
}

static PyMethodDef module_methods[] = {
    {"set_classes", set_classes, METH_VARARGS, "set_classes(tensor_cls, operation_cls)"},
    {"set_error_classes", set_error_classes, METH_O, "set_error_classes({code: cls})"},
    {"get_error_classes", get_error_classes, METH_NOARGS, "the registered {code: cls}"},
    {"get_classes", get_classes, METH_NOARGS, "(tensor_cls, operation_cls) now in use"},
    {"version", mod_version, METH_NOARGS, "libnabla's version"},
    {"set_num_threads", mod_set_num_threads, METH_O, "nb_set_num_threads"},
    {"get_num_threads", mod_get_num_threads, METH_NOARGS, "nb_get_num_threads"},
    {"variable_is_trainable", mod_variable_is_trainable, METH_O, "nb_variable_is_trainable"},
    {"variable_op", mod_variable_op, METH_O, "the VariableV2 Op behind a variable, or None"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef nabla_module = {
    PyModuleDef_HEAD_INIT, "_nabla", "libnabla's C API for Python (low level; see nabla).", -1,
    module_methods, NULL, NULL, NULL, NULL};

static int add_type(PyObject *m, PyTypeObject *t, const char *name) {
    if (PyType_Ready(t) < 0) return -1;
    Py_INCREF(t);
    if (PyModule_AddObject(m, name, (PyObject *)t) < 0) {
        Py_DECREF(t);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__nabla(void);
PyMODINIT_FUNC PyInit__nabla(void) {
    import_array();
    PyObject *m = PyModule_Create(&nabla_module);
    if (!m) return NULL;
    Py_INCREF(nbpy_tensor_cls);
    Py_INCREF(nbpy_operation_cls);
    if (add_type(m, &NbpyGraph_Type, "Graph") < 0 || add_type(m, &NbpyOutput_Type, "Output") < 0 ||
        add_type(m, &NbpyOp_Type, "Op") < 0 || nbpy_ops_register(m) < 0 ||
        nbpy_session_register(m) < 0 || nbpy_train_register(m) < 0 || nbpy_dist_register(m) < 0 ||
        PyModule_AddFunctions(m, nbpy_tensor_methods) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    static const struct { const char *name; long v; } consts[] = {
        {"FLOAT32", NB_FLOAT32}, {"FLOAT64", NB_FLOAT64}, {"INT32", NB_INT32},
        {"UINT8", NB_UINT8}, {"INT64", NB_INT64}, {"BOOL", NB_BOOL},
        {"OK", NB_OK}, {"ERR_INVALID_ARGUMENT", NB_ERR_INVALID_ARGUMENT},
        {"ERR_SHAPE", NB_ERR_SHAPE}, {"ERR_DTYPE", NB_ERR_DTYPE},
        {"ERR_NOT_FOUND", NB_ERR_NOT_FOUND}, {"ERR_UNIMPLEMENTED", NB_ERR_UNIMPLEMENTED},
        {"ERR_OUT_OF_MEMORY", NB_ERR_OUT_OF_MEMORY}, {"ERR_IO", NB_ERR_IO},
        {"ERR_INTERNAL", NB_ERR_INTERNAL}, {"ERR_FAILED_PRECONDITION", NB_ERR_FAILED_PRECONDITION},
        {"SEED_NONE", (long)NB_SEED_NONE},
    };
    for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++)
        if (PyModule_AddIntConstant(m, consts[i].name, consts[i].v) < 0) {
            Py_DECREF(m);
            return NULL;
        }
    return m;
}
