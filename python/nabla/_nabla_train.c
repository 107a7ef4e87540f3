/*
 * _nabla_train.c — gradients, optimizers (_nabla.Optimizer), summary writers
 * (_nabla.SummaryWriter), GraphDef import/export and checkpoint files.
 */
#include "_nabla.h"

#include <math.h>
#include <string.h>

static inline nb_output O(const NbpyOutput *o) {
    return o ? (nb_output){o->op, o->index} : nb_nil;
}

/* gradients(graph, ys, xs, grad_ys=None) -> list (None where unconnected) */
static PyObject *gradients(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "ys", "xs", "grad_ys", NULL};
    NbpyGraph *g;
    nbpy_outs ys, xs, gy = {0, NULL, NULL};
    PyObject *gyo = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&O&|O:gradients", k, nbpy_graph_conv, &g,
                                     nbpy_outs_conv, &ys, nbpy_outs_conv, &xs, &gyo))
        return NULL;
    PyObject *res = NULL;
    nb_output *dx = NULL;
    if (gyo != Py_None) {
        if (!nbpy_outs_conv(gyo, &gy)) goto out;
        if (gy.n != ys.n) {
            PyErr_SetString(PyExc_ValueError, "grad_ys must have one entry per y");
            goto out;
        }
    }
    if (nbpy_check_graph_outs(g, &ys) < 0 || nbpy_check_graph_outs(g, &xs) < 0 ||
        nbpy_check_graph_outs(g, &gy) < 0)
        goto out;
    dx = PyMem_Calloc((size_t)xs.n + 1, sizeof *dx);
    if (!dx) {
        PyErr_NoMemory();
        goto out;
    }
    nbpy_build_begin(g);
    nb_gradients(g->g, ys.v, ys.n, xs.v, xs.n, gyo == Py_None ? NULL : gy.v, dx);
    if (nbpy_build_end(g) == 0) res = nbpy_outputs_list(g, dx, xs.n);
out:
    PyMem_Free(dx);
    nbpy_outs_clear(&ys);
    nbpy_outs_clear(&xs);
    nbpy_outs_clear(&gy);
    return res;
}

/*** Optimizer ***/

typedef struct {
    PyObject_HEAD
    NbpyGraph *graph;
    nb_optimizer *opt; /* owned by the graph */
} NbpyOptimizer;

static void optimizer_dealloc(NbpyOptimizer *self) {
    Py_CLEAR(self->graph);
    PyObject_Free(self);
}

/* The variables to train: var_list, or every trainable variable. */
static int var_list(NbpyOptimizer *self, PyObject *vl, nbpy_outs *v) {
    if (vl != Py_None) {
        if (!nbpy_outs_conv(vl, v)) return -1;
        if (nbpy_check_graph_outs(self->graph, v) < 0) {
            nbpy_outs_clear(v);
            return -1;
        }
        return 0;
    }
    nb_graph *g = self->graph->g;
    int n = nb_graph_num_variables(g);
    v->v = PyMem_Malloc(sizeof(nb_output) * (size_t)(n + 1));
    v->n = 0;
    v->graph = self->graph;
    if (!v->v) {
        PyErr_NoMemory();
        return -1;
    }
    for (int i = 0; i < n; i++) {
        nb_output x = nb_graph_variable(g, i);
        if (nb_variable_is_trainable(x)) v->v[v->n++] = x;
    }
    return 0;
}

static PyObject *opt_minimize(NbpyOptimizer *self, PyObject *args, PyObject *kw) {
    static char *k[] = {"loss", "var_list", "global_step", NULL};
    NbpyOutput *loss, *gs = NULL;
    PyObject *vl = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|OO&:minimize", k, nbpy_output_conv, &loss, &vl,
                                     nbpy_opt_output_conv, &gs))
        return NULL;
    NbpyOutput *io[2] = {loss, gs};
    if (nbpy_check_graph(self->graph, io, 2) < 0) return NULL;
    nbpy_outs v = {0, NULL, NULL};
    if (vl != Py_None && var_list(self, vl, &v) < 0) return NULL;
    nbpy_build_begin(self->graph);
    nb_output o = nb_optimizer_minimize(self->opt, O(loss), v.v, v.n, O(gs));
    nbpy_outs_clear(&v);
    return nbpy_build_result(self->graph, o);
}

/* compute_gradients(loss, var_list=None) -> (grads, vars) */
static PyObject *opt_compute(NbpyOptimizer *self, PyObject *args, PyObject *kw) {
    static char *k[] = {"loss", "var_list", NULL};
    NbpyOutput *loss;
    PyObject *vl = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|O:compute_gradients", k, nbpy_output_conv,
                                     &loss, &vl))
        return NULL;
    if (nbpy_check_graph(self->graph, &loss, 1) < 0) return NULL;
    nbpy_outs v;
    if (var_list(self, vl, &v) < 0) return NULL;
    nb_output *gr = PyMem_Calloc((size_t)v.n + 1, sizeof *gr);
    PyObject *res = NULL;
    if (!gr) {
        PyErr_NoMemory();
    } else {
        nbpy_build_begin(self->graph);
        nb_optimizer_compute_gradients(self->opt, O(loss), v.v, v.n, gr);
        if (nbpy_build_end(self->graph) == 0) {
            PyObject *a = nbpy_outputs_list(self->graph, gr, v.n);
            PyObject *b = a ? nbpy_outputs_list(self->graph, v.v, v.n) : NULL;
            if (a && b) res = PyTuple_Pack(2, a, b);
            Py_XDECREF(a);
            Py_XDECREF(b);
        }
    }
    PyMem_Free(gr);
    nbpy_outs_clear(&v);
    return res;
}

/* apply_gradients(grads (None allowed), vars, global_step=None) -> Output */
static PyObject *opt_apply(NbpyOptimizer *self, PyObject *args, PyObject *kw) {
    static char *k[] = {"grads", "vars", "global_step", NULL};
    PyObject *go;
    nbpy_outs v;
    NbpyOutput *gs = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO&|O&:apply_gradients", k, &go, nbpy_outs_conv,
                                     &v, nbpy_opt_output_conv, &gs))
        return NULL;
    PyObject *res = NULL;
    nb_output *gr = NULL;
    PyObject *seq = PySequence_Fast(go, "grads must be a list");
    if (!seq) goto out;
    if (PySequence_Fast_GET_SIZE(seq) != v.n) {
        PyErr_SetString(PyExc_ValueError, "apply_gradients: one gradient per variable");
        goto out;
    }
    if (nbpy_check_graph_outs(self->graph, &v) < 0 || nbpy_check_graph(self->graph, &gs, 1) < 0)
        goto out;
    gr = PyMem_Calloc((size_t)v.n + 1, sizeof *gr);
    if (!gr) {
        PyErr_NoMemory();
        goto out;
    }
    for (int i = 0; i < v.n; i++) {
        PyObject *it = PySequence_Fast_GET_ITEM(seq, i);
        NbpyOutput *x;
        if (it == Py_None) continue;
        if (!nbpy_output_conv(it, &x) || nbpy_check_graph(self->graph, &x, 1) < 0) goto out;
        gr[i] = O(x);
    }
    nbpy_build_begin(self->graph);
    res = nbpy_build_result(self->graph, nb_optimizer_apply_gradients(self->opt, gr, v.v, v.n, O(gs)));
out:
    Py_XDECREF(seq);
    PyMem_Free(gr);
    nbpy_outs_clear(&v);
    return res;
}

static PyObject *opt_graph(NbpyOptimizer *self, void *c) {
    (void)c;
    return Py_NewRef((PyObject *)self->graph);
}

static PyMethodDef optimizer_methods[] = {
    {"minimize", (PyCFunction)(void (*)(void))opt_minimize, METH_VARARGS | METH_KEYWORDS,
     "minimize(loss, var_list=None, global_step=None) -> Output of the train op"},
    {"compute_gradients", (PyCFunction)(void (*)(void))opt_compute, METH_VARARGS | METH_KEYWORDS,
     "compute_gradients(loss, var_list=None) -> (grads, vars); None where unconnected"},
    {"apply_gradients", (PyCFunction)(void (*)(void))opt_apply, METH_VARARGS | METH_KEYWORDS,
     "apply_gradients(grads, vars, global_step=None) -> Output of the train op"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef optimizer_getset[] = {{"graph", (getter)opt_graph, NULL, "graph", NULL},
                                         {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject NbpyOptimizer_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nabla._nabla.Optimizer",
    .tp_basicsize = sizeof(NbpyOptimizer),
    .tp_dealloc = (destructor)optimizer_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An nb_optimizer (owned by its graph); made by train_* functions.",
    .tp_methods = optimizer_methods,
    .tp_getset = optimizer_getset,
};

/* train_<kind>(graph, lr (float or Output), ...) */
static PyObject *make_optimizer(PyObject *self, PyObject *args, PyObject *kw) {
    long kind = PyLong_AsLong(self);
    static char *k[] = {"graph", "learning_rate", "a", "b", "c", NULL};
    NbpyGraph *g;
    PyObject *lro;
    double a = NAN, b = NAN, c = NAN;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O|ddd", k, nbpy_graph_conv, &g, &lro, &a, &b, &c))
        return NULL;
    NbpyOutput *lrt = NULL;
    double lr = 1.0;
    if (PyObject_TypeCheck(lro, &NbpyOutput_Type)) {
        if (!nbpy_output_conv(lro, &lrt) || nbpy_check_graph(g, &lrt, 1) < 0) return NULL;
    } else {
        lr = PyFloat_AsDouble(lro);
        if (lr == -1 && PyErr_Occurred()) return NULL;
    }
    nbpy_build_begin(g);
    nb_optimizer *opt = NULL;
    switch (kind) {
    case 0: opt = nb_train_gradient_descent(g->g, lr); break;
    case 1: opt = nb_train_momentum(g->g, lr, isnan(a) ? 0.9 : a, !isnan(b) && b != 0); break;
    case 2: opt = nb_train_adagrad(g->g, lr, isnan(a) ? 0.1 : a); break;
    case 3: opt = nb_train_rmsprop(g->g, lr, isnan(a) ? 0.9 : a, isnan(b) ? 0.0 : b, isnan(c) ? 1e-10 : c); break;
    default: opt = nb_train_adam(g->g, lr, isnan(a) ? 0.9 : a, isnan(b) ? 0.999 : b, isnan(c) ? 1e-8 : c); break;
    }
    if (opt && lrt) nb_optimizer_set_learning_rate_tensor(opt, O(lrt));
    if (nbpy_build_end(g) < 0) return NULL;
    if (!opt) return PyErr_NoMemory();
    NbpyOptimizer *r = PyObject_New(NbpyOptimizer, &NbpyOptimizer_Type);
    if (!r) return NULL;
    Py_INCREF(g);
    r->graph = g;
    r->opt = opt;
    return (PyObject *)r;
}

/*** SummaryWriter ***/

typedef struct {
    PyObject_HEAD
    nb_summary_writer *w;
} NbpyWriter;

static PyObject *writer_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *k[] = {"logdir", "graph", NULL};
    PyObject *dir, *go = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|O:SummaryWriter", k, PyUnicode_FSConverter, &dir, &go))
        return NULL;
    NbpyGraph *g = NULL;
    if (go != Py_None && !nbpy_graph_conv(go, &g)) {
        Py_DECREF(dir);
        return NULL;
    }
    NbpyWriter *self = (NbpyWriter *)type->tp_alloc(type, 0);
    if (!self) {
        Py_DECREF(dir);
        return NULL;
    }
    nb_error err = {NB_OK, ""};
    if (g) nbpy_build_begin(g); /* reads the graph */
    self->w = nb_summary_writer_open(PyBytes_AS_STRING(dir), g ? g->g : NULL, &err);
    if (g) pthread_rwlock_unlock(&g->lock);
    Py_DECREF(dir);
    if (!self->w) {
        Py_DECREF(self);
        return nbpy_raise_status(err.code, err.message);
    }
    return (PyObject *)self;
}

static void writer_dealloc(NbpyWriter *self) {
    nb_summary_writer_close(self->w);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int writer_open(NbpyWriter *self) {
    if (!self->w) {
        PyErr_SetString(PyExc_RuntimeError, "the summary writer is closed");
        return -1;
    }
    return 0;
}

static PyObject *writer_status(NbpyWriter *self, nb_status st) {
    if (st != NB_OK) return nbpy_raise_status(st, nb_summary_writer_errmsg(self->w));
    Py_RETURN_NONE;
}

static PyObject *writer_add_graph(NbpyWriter *self, PyObject *arg) {
    NbpyGraph *g;
    if (writer_open(self) < 0 || !nbpy_graph_conv(arg, &g)) return NULL;
    nbpy_build_begin(g);
    nb_status st = nb_summary_writer_add_graph(self->w, g->g);
    pthread_rwlock_unlock(&g->lock);
    return writer_status(self, st);
}

static nb_tensor *summary_bytes(PyObject *v) {
    if (PyBytes_Check(v)) {
        int64_t n = PyBytes_GET_SIZE(v);
        nb_tensor *t = nb_tensor_new(NB_UINT8, 1, &n, PyBytes_AS_STRING(v));
        if (!t) PyErr_NoMemory();
        return t;
    }
    return nbpy_tensor_from_object(v, NB_UINT8);
}

static PyObject *writer_add_summary(NbpyWriter *self, PyObject *args) {
    PyObject *v;
    long long step = 0;
    if (!PyArg_ParseTuple(args, "O|L:add_summary", &v, &step) || writer_open(self) < 0) return NULL;
    nb_tensor *t = summary_bytes(v);
    if (!t) return NULL;
    nb_status st = nb_summary_writer_add_summary(self->w, t, step);
    nb_tensor_unref(t);
    return writer_status(self, st);
}

static PyObject *writer_add_scalar(NbpyWriter *self, PyObject *args) {
    const char *tag;
    long long step;
    double v;
    if (!PyArg_ParseTuple(args, "sLd:add_scalar", &tag, &step, &v) || writer_open(self) < 0)
        return NULL;
    return writer_status(self, nb_summary_writer_add_scalar(self->w, tag, step, v));
}

static PyObject *writer_add_tensor(NbpyWriter *self, PyObject *args, int image) {
    const char *tag;
    long long step;
    PyObject *v;
    if (!PyArg_ParseTuple(args, "sLO", &tag, &step, &v) || writer_open(self) < 0) return NULL;
    nb_tensor *t = nbpy_tensor_from_object(v, NB_DTYPE_INVALID);
    if (!t) return NULL;
    nb_status st = image ? nb_summary_writer_add_image(self->w, tag, step, t)
                         : nb_summary_writer_add_histogram(self->w, tag, step, t);
    nb_tensor_unref(t);
    return writer_status(self, st);
}

static PyObject *writer_add_histogram(NbpyWriter *self, PyObject *args) {
    return writer_add_tensor(self, args, 0);
}

static PyObject *writer_add_image(NbpyWriter *self, PyObject *args) {
    return writer_add_tensor(self, args, 1);
}

static PyObject *writer_flush(NbpyWriter *self, PyObject *unused) {
    (void)unused;
    if (writer_open(self) < 0) return NULL;
    return writer_status(self, nb_summary_writer_flush(self->w));
}

static PyObject *writer_close(NbpyWriter *self, PyObject *unused) {
    (void)unused;
    if (!self->w) Py_RETURN_NONE;
    nb_status st = nb_summary_writer_close(self->w);
    self->w = NULL;
    if (st != NB_OK) return nbpy_raise_status(st, "closing the event file failed");
    Py_RETURN_NONE;
}

static PyObject *writer_path(NbpyWriter *self, void *c) {
    (void)c;
    if (!self->w) Py_RETURN_NONE;
    return PyUnicode_DecodeFSDefault(nb_summary_writer_path(self->w));
}

static PyMethodDef writer_methods[] = {
    {"add_graph", (PyCFunction)writer_add_graph, METH_O, "add_graph(graph)"},
    {"add_summary", (PyCFunction)writer_add_summary, METH_VARARGS, "add_summary(bytes or uint8 array, step=0)"},
    {"add_scalar", (PyCFunction)writer_add_scalar, METH_VARARGS, "add_scalar(tag, step, value)"},
    {"add_histogram", (PyCFunction)writer_add_histogram, METH_VARARGS, "add_histogram(tag, step, array)"},
    {"add_image", (PyCFunction)writer_add_image, METH_VARARGS, "add_image(tag, step, array)"},
    {"flush", (PyCFunction)writer_flush, METH_NOARGS, "flush"},
    {"close", (PyCFunction)writer_close, METH_NOARGS, "flush and close (idempotent)"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef writer_getset[] = {{"path", (getter)writer_path, NULL, "event file path", NULL},
                                      {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject NbpyWriter_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nabla._nabla.SummaryWriter",
    .tp_basicsize = sizeof(NbpyWriter),
    .tp_dealloc = (destructor)writer_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "SummaryWriter(logdir, graph=None): an event file (nb_summary_writer).",
    .tp_methods = writer_methods,
    .tp_getset = writer_getset,
    .tp_new = writer_new,
};

/*** GraphDef and checkpoint files ***/

static PyObject *import_graphdef(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "data", "prefix", NULL};
    NbpyGraph *g;
    Py_buffer buf;
    const char *prefix = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&y*|O&:import_graphdef", k, nbpy_graph_conv, &g,
                                     &buf, nbpy_name_conv, &prefix))
        return NULL;
    nb_error err = {NB_OK, ""};
    nbpy_build_begin(g);
    nb_status st = nb_graph_import_graphdef(g->g, buf.buf, (size_t)buf.len, prefix, &err);
    nb_graph_clear_error(g->g);
    pthread_rwlock_unlock(&g->lock);
    PyBuffer_Release(&buf);
    if (st != NB_OK) return st == NB_ERR_IO ? nbpy_raise_status(st, err.message) : nbpy_raise_graph(st, err.message);
    Py_RETURN_NONE;
}

static PyObject *load_graphdef(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "path", "prefix", NULL};
    NbpyGraph *g;
    PyObject *path;
    const char *prefix = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&|O&:load_graphdef", k, nbpy_graph_conv, &g,
                                     PyUnicode_FSConverter, &path, nbpy_name_conv, &prefix))
        return NULL;
    nb_error err = {NB_OK, ""};
    nbpy_build_begin(g);
    nb_status st = nb_graph_load_graphdef(g->g, PyBytes_AS_STRING(path), prefix, &err);
    nb_graph_clear_error(g->g);
    pthread_rwlock_unlock(&g->lock);
    Py_DECREF(path);
    if (st != NB_OK)
        return (st == NB_ERR_IO || st == NB_ERR_NOT_FOUND) ? nbpy_raise_status(st, err.message)
                                                          : nbpy_raise_graph(st, err.message);
    Py_RETURN_NONE;
}

static PyObject *save_graphdef(PyObject *self, PyObject *args) {
    (void)self;
    NbpyGraph *g;
    PyObject *path;
    if (!PyArg_ParseTuple(args, "O&O&:save_graphdef", nbpy_graph_conv, &g, PyUnicode_FSConverter, &path))
        return NULL;
    nb_error err = {NB_OK, ""};
    nbpy_build_begin(g);
    nb_status st = nb_graph_save_graphdef(g->g, PyBytes_AS_STRING(path), &err);
    pthread_rwlock_unlock(&g->lock);
    Py_DECREF(path);
    if (st != NB_OK) return nbpy_raise_status(st, err.message);
    Py_RETURN_NONE;
}

static PyObject *checkpoint_latest(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *dir;
    if (!PyArg_ParseTuple(args, "O&:checkpoint_latest", PyUnicode_FSConverter, &dir)) return NULL;
    nb_error err = {NB_OK, ""};
    char *p = nb_checkpoint_latest(PyBytes_AS_STRING(dir), &err);
    Py_DECREF(dir);
    if (!p) {
        if (err.code == NB_ERR_NOT_FOUND) Py_RETURN_NONE; /* TF1: latest_checkpoint -> None */
        return nbpy_raise_status(err.code, err.message);
    }
    PyObject *r = PyUnicode_DecodeFSDefault(p);
    free(p);
    return r;
}

static PyObject *checkpoint_read(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *path;
    if (!PyArg_ParseTuple(args, "O&:checkpoint_read", PyUnicode_FSConverter, &path)) return NULL;
    nb_error err = {NB_OK, ""};
    int n = 0;
    char **names = NULL;
    nb_tensor **vals = NULL;
    nb_status st = nb_checkpoint_read(PyBytes_AS_STRING(path), &n, &names, &vals, &err);
    Py_DECREF(path);
    if (st != NB_OK) return nbpy_raise_status(st, err.message);
    PyObject *d = PyDict_New();
    for (int i = 0; d && i < n; i++) {
        PyObject *a = nbpy_array_from_tensor(nb_tensor_ref(vals[i]));
        if (!a || PyDict_SetItemString(d, names[i], a) < 0) Py_CLEAR(d);
        Py_XDECREF(a);
    }
    nb_checkpoint_read_free(n, names, vals);
    return d;
}

#define KW (METH_VARARGS | METH_KEYWORDS)
PyMethodDef nbpy_train_methods[] = {
    {"gradients", (PyCFunction)(void (*)(void))gradients, KW,
     "gradients(graph, ys, xs, grad_ys=None) -> list (None where ys do not depend on x)"},
    {"import_graphdef", (PyCFunction)(void (*)(void))import_graphdef, KW,
     "import_graphdef(graph, bytes, prefix=None)"},
    {"load_graphdef", (PyCFunction)(void (*)(void))load_graphdef, KW,
     "load_graphdef(graph, path, prefix=None)"},
    {"save_graphdef", save_graphdef, METH_VARARGS, "save_graphdef(graph, path)"},
    {"checkpoint_latest", checkpoint_latest, METH_VARARGS, "checkpoint_latest(dir) -> path or None"},
    {"checkpoint_read", checkpoint_read, METH_VARARGS, "checkpoint_read(path) -> {name: ndarray}"},
    {NULL, NULL, 0, NULL}};

static PyMethodDef optimizer_ctors[] = {
    {"train_gradient_descent", (PyCFunction)(void (*)(void))make_optimizer, KW,
     "train_gradient_descent(graph, learning_rate)"},
    {"train_momentum", (PyCFunction)(void (*)(void))make_optimizer, KW,
     "train_momentum(graph, learning_rate, momentum=0.9, use_nesterov=0)"},
    {"train_adagrad", (PyCFunction)(void (*)(void))make_optimizer, KW,
     "train_adagrad(graph, learning_rate, initial_accumulator_value=0.1)"},
    {"train_rmsprop", (PyCFunction)(void (*)(void))make_optimizer, KW,
     "train_rmsprop(graph, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10)"},
    {"train_adam", (PyCFunction)(void (*)(void))make_optimizer, KW,
     "train_adam(graph, learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-8)"},
};

int nbpy_train_register(PyObject *m) {
    if (PyType_Ready(&NbpyOptimizer_Type) < 0 || PyType_Ready(&NbpyWriter_Type) < 0) return -1;
    Py_INCREF(&NbpyOptimizer_Type);
    if (PyModule_AddObject(m, "Optimizer", (PyObject *)&NbpyOptimizer_Type) < 0) return -1;
    Py_INCREF(&NbpyWriter_Type);
    if (PyModule_AddObject(m, "SummaryWriter", (PyObject *)&NbpyWriter_Type) < 0) return -1;
    PyObject *modname = PyModule_GetNameObject(m);
    if (!modname) return -1;
    for (long i = 0; i < 5; i++) {
        PyObject *v = PyLong_FromLong(i);
        PyObject *f = v ? PyCFunction_NewEx(&optimizer_ctors[i], v, modname) : NULL;
        Py_XDECREF(v);
        if (!f || PyModule_AddObject(m, optimizer_ctors[i].ml_name, f) < 0) {
            Py_XDECREF(f);
            Py_DECREF(modname);
            return -1;
        }
    }
    Py_DECREF(modname);
    return PyModule_AddFunctions(m, nbpy_train_methods);
}
