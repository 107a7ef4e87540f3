/*
 * _nabla_session.c — _nabla.Session and _nabla.Callable.
 * A run: converts each feed (zero-copy for arrays that already fit), releases
 * the GIL and takes the graph's read lock around nb_session_run, then hands
 * each fetched tensor to numpy (nbpy_array_from_tensor). Session.make_callable
 * parses a (fetches, feeds) signature once, so calling it does only the per-run
 * work; nb_session_run itself caches the compiled plan per signature.
 * Pending signals (Ctrl-C) are checked before each run.
 */
#include "_nabla.h"

#include <string.h>

typedef struct {
    PyObject_HEAD
    nb_session *s;
    NbpyGraph *graph;
    pthread_rwlock_t lock; /* runs: read; close: write */
} NbpySession;

/* A parsed signature. */
typedef struct {
    int n_fetch, n_feed;
    nb_output *fetch;
    unsigned char *is_op;
    nb_output *feed;
    nb_dtype *feed_dt;
} sig;

typedef struct {
    PyObject_HEAD
    NbpySession *sess;
    sig sg;
} NbpyCallable;

static const char closed_msg[] = "Attempted to use a closed Session.";

static void sig_clear(sig *s) {
    PyMem_Free(s->fetch);
    PyMem_Free(s->is_op);
    PyMem_Free(s->feed);
    PyMem_Free(s->feed_dt);
    memset(s, 0, sizeof *s);
}

static int not_element(PyObject *obj) {
    PyObject *r = PyObject_Str(obj);
    if (!r) return -1;
    PyErr_Format(PyExc_ValueError, "Tensor %S is not an element of this graph.", r);
    Py_DECREF(r);
    return -1;
}

/* Fills one fetch slot from an Output or Op. */
static int parse_fetch(NbpySession *self, PyObject *it, nb_output *o, unsigned char *is_op) {
    if (PyObject_TypeCheck(it, &NbpyOutput_Type) && ((NbpyOutput *)it)->op) {
        NbpyOutput *x = (NbpyOutput *)it;
        if (x->graph != self->graph) return not_element(it);
        *o = (nb_output){x->op, x->index};
        *is_op = 0;
        return 0;
    }
    if (PyObject_TypeCheck(it, &NbpyOp_Type) && ((NbpyOp *)it)->op) {
        NbpyOp *x = (NbpyOp *)it;
        if (x->graph != self->graph) return not_element(it);
        *o = (nb_output){x->op, 0};
        *is_op = 1;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "Fetch argument of type %.200s cannot be interpreted as a Tensor "
                 "or an Operation", Py_TYPE(it)->tp_name);
    return -1;
}

static int parse_feed_key(NbpySession *self, PyObject *key, nb_output *o, nb_dtype *dt) {
    if (!PyObject_TypeCheck(key, &NbpyOutput_Type) || !((NbpyOutput *)key)->op) {
        PyErr_Format(PyExc_TypeError, "feed keys must be Tensors, got %.200s", Py_TYPE(key)->tp_name);
        return -1;
    }
    NbpyOutput *x = (NbpyOutput *)key;
    if (x->graph != self->graph) return not_element(key);
    *o = (nb_output){x->op, x->index};
    *dt = nb_output_dtype(*o);
    return 0;
}

static int sig_alloc(sig *s, Py_ssize_t nf, Py_ssize_t nd) {
    memset(s, 0, sizeof *s);
    if (nf > INT32_MAX / 4 || nd > INT32_MAX / 4) {
        PyErr_SetString(PyExc_ValueError, "too many fetches or feeds");
        return -1;
    }
    s->fetch = PyMem_Malloc(sizeof(nb_output) * (size_t)(nf + 1));
    s->is_op = PyMem_Malloc((size_t)(nf + 1));
    s->feed = PyMem_Malloc(sizeof(nb_output) * (size_t)(nd + 1));
    s->feed_dt = PyMem_Malloc(sizeof(nb_dtype) * (size_t)(nd + 1));
    if (!s->fetch || !s->is_op || !s->feed || !s->feed_dt) {
        sig_clear(s);
        PyErr_NoMemory();
        return -1;
    }
    s->n_fetch = (int)nf;
    s->n_feed = (int)nd;
    return 0;
}

static int check_open(NbpySession *self) {
    if (!self->s) {
        PyErr_SetString(PyExc_RuntimeError, closed_msg);
        return -1;
    }
    return 0;
}

/* Takes the session's read lock with the GIL released while waiting. */
static void sess_rdlock(NbpySession *self) {
    if (pthread_rwlock_tryrdlock(&self->lock) != 0) {
        Py_BEGIN_ALLOW_THREADS
        pthread_rwlock_rdlock(&self->lock);
        Py_END_ALLOW_THREADS
    }
}

/* The run itself: values[i] feeds sg->feed[i]. */
static PyObject *do_run(NbpySession *self, const sig *sg, PyObject *const *values) {
    if (PyErr_CheckSignals() < 0) return NULL;
    enum { SMALL = 16 };
    nb_feed feeds_small[SMALL];
    nb_tensor *outs_small[SMALL];
    nb_feed *feeds = sg->n_feed <= SMALL ? feeds_small : PyMem_Malloc(sizeof(nb_feed) * (size_t)sg->n_feed);
    nb_tensor **outs = sg->n_fetch <= SMALL ? outs_small
                                            : PyMem_Malloc(sizeof(nb_tensor *) * (size_t)sg->n_fetch);
    PyObject *result = NULL;
    int n_conv = 0;
    if (!feeds || !outs) {
        PyErr_NoMemory();
        goto done;
    }
    for (; n_conv < sg->n_feed; n_conv++) {
        nb_tensor *t = nbpy_tensor_from_object(values[n_conv], sg->feed_dt[n_conv]);
        if (!t) goto done;
        feeds[n_conv].output = sg->feed[n_conv];
        feeds[n_conv].value = t;
    }
    sess_rdlock(self);
    if (!self->s) {
        pthread_rwlock_unlock(&self->lock);
        PyErr_SetString(PyExc_RuntimeError, closed_msg);
        goto done;
    }
    nb_status st;
    char msg[1024];
    msg[0] = 0;
    NbpyGraph *gr = self->graph;
    Py_BEGIN_ALLOW_THREADS
    pthread_rwlock_rdlock(&gr->lock);
    st = nb_session_run(self->s, feeds, sg->n_feed, sg->fetch, sg->n_fetch, outs);
    pthread_rwlock_unlock(&gr->lock);
    if (st != NB_OK) snprintf(msg, sizeof msg, "%s", nb_session_errmsg(self->s));
    Py_END_ALLOW_THREADS
    pthread_rwlock_unlock(&self->lock);
    if (st != NB_OK) {
        nbpy_raise_status(st, msg);
        goto done;
    }
    result = PyList_New(sg->n_fetch);
    if (!result) {
        for (int i = 0; i < sg->n_fetch; i++) nb_tensor_unref(outs[i]);
        goto done;
    }
    for (int i = 0; i < sg->n_fetch; i++) {
        PyObject *v;
        if (sg->is_op[i] || !outs[i]) {
            nb_tensor_unref(outs[i]);
            Py_INCREF(Py_None);
            v = Py_None;
        } else {
            v = nbpy_array_from_tensor(outs[i]);
        }
        if (!v) {
            for (int j = i + 1; j < sg->n_fetch; j++) nb_tensor_unref(outs[j]);
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, i, v);
    }
done:
    for (int i = 0; i < n_conv; i++) {
        union { const nb_tensor *c; nb_tensor *m; } u = {feeds[i].value};
        nb_tensor_unref(u.m);
    }
    if (feeds && feeds != feeds_small) PyMem_Free(feeds);
    if (outs && outs != outs_small) PyMem_Free(outs);
    return result;
}

/* Parses fetches (a sequence) and feed keys (a sequence of Outputs). */
static int parse_sig(NbpySession *self, PyObject *fetches, PyObject *keys, sig *sg) {
    PyObject *f = PySequence_Fast(fetches, "fetches must be a list of Tensors / Operations");
    if (!f) return -1;
    PyObject *k = keys == Py_None ? PyTuple_New(0)
                                  : PySequence_Fast(keys, "feeds must be a list of Tensors");
    if (!k) {
        Py_DECREF(f);
        return -1;
    }
    Py_ssize_t nf = PySequence_Fast_GET_SIZE(f), nk = PySequence_Fast_GET_SIZE(k);
    int rc = sig_alloc(sg, nf, nk);
    for (Py_ssize_t i = 0; rc == 0 && i < nf; i++)
        rc = parse_fetch(self, PySequence_Fast_GET_ITEM(f, i), &sg->fetch[i], &sg->is_op[i]);
    for (Py_ssize_t i = 0; rc == 0 && i < nk; i++)
        rc = parse_feed_key(self, PySequence_Fast_GET_ITEM(k, i), &sg->feed[i], &sg->feed_dt[i]);
    if (rc < 0 && sg->fetch) sig_clear(sg);
    Py_DECREF(f);
    Py_DECREF(k);
    return rc;
}

/*** Session ***/

static PyObject *session_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *k[] = {"graph", NULL};
    NbpyGraph *g;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&:Session", k, nbpy_graph_conv, &g)) return NULL;
    NbpySession *self = (NbpySession *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    pthread_rwlock_init(&self->lock, NULL);
    nbpy_build_begin(g); /* nb_session_new takes a graph reference */
    self->s = nb_session_new(g->g);
    pthread_rwlock_unlock(&g->lock);
    if (!self->s) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    Py_INCREF(g);
    self->graph = g;
    return (PyObject *)self;
}

static int session_init(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    (void)args;
    (void)kw;
    return 0;
}

static void session_close_now(NbpySession *self) {
    if (pthread_rwlock_trywrlock(&self->lock) != 0) {
        Py_BEGIN_ALLOW_THREADS
        pthread_rwlock_wrlock(&self->lock);
        Py_END_ALLOW_THREADS
    }
    nb_session *s = self->s;
    self->s = NULL;
    pthread_rwlock_unlock(&self->lock);
    if (s && self->graph) {
        nbpy_build_begin(self->graph); /* drops a graph reference */
        nb_session_free(s);
        pthread_rwlock_unlock(&self->graph->lock);
    } else {
        nb_session_free(s);
    }
}

static void session_dealloc(NbpySession *self) {
    PyObject_GC_UnTrack(self);
    if (self->s) session_close_now(self); /* no run can be in flight: runs hold a reference */
    pthread_rwlock_destroy(&self->lock);
    Py_CLEAR(self->graph);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int session_traverse(NbpySession *self, visitproc visit, void *arg) {
    Py_VISIT(self->graph);
    return 0;
}

/* The collector breaks a cycle through the session: close it, then drop the graph. */
static int session_clear(NbpySession *self) {
    if (self->s) session_close_now(self);
    Py_CLEAR(self->graph);
    return 0;
}

static PyObject *session_close(NbpySession *self, PyObject *unused) {
    (void)unused;
    session_close_now(self);
    Py_RETURN_NONE;
}

static PyObject *session_run(NbpySession *self, PyObject *args, PyObject *kw) {
    static char *k[] = {"fetches", "feeds", NULL};
    PyObject *fetches, *feeds = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:run", k, &fetches, &feeds)) return NULL;
    if (check_open(self) < 0) return NULL;
    PyObject *fl = PySequence_Fast(fetches, "fetches must be a list of Tensors / Operations");
    if (!fl) return NULL;
    PyObject *dl = feeds == Py_None ? PyTuple_New(0)
                                    : PySequence_Fast(feeds, "feeds must be a list of (Tensor, value) pairs");
    if (!dl) {
        Py_DECREF(fl);
        return NULL;
    }
    Py_ssize_t nf = PySequence_Fast_GET_SIZE(fl), nd = PySequence_Fast_GET_SIZE(dl);
    enum { SMALL = 16 };
    nb_output fo[SMALL], fd[SMALL];
    unsigned char iso[SMALL];
    nb_dtype dts[SMALL];
    PyObject *vals_small[SMALL];
    sig sg = {0, 0, NULL, NULL, NULL, NULL};
    bool heap = nf > SMALL || nd > SMALL;
    PyObject *res = NULL;
    PyObject **vals = vals_small;
    if (heap) {
        if (sig_alloc(&sg, nf, nd) < 0) goto out;
        vals = PyMem_Malloc(sizeof(PyObject *) * (size_t)(nd + 1));
        if (!vals) {
            PyErr_NoMemory();
            goto out;
        }
    } else {
        sg.n_fetch = (int)nf;
        sg.n_feed = (int)nd;
        sg.fetch = fo;
        sg.is_op = iso;
        sg.feed = fd;
        sg.feed_dt = dts;
    }
    for (Py_ssize_t i = 0; i < nf; i++)
        if (parse_fetch(self, PySequence_Fast_GET_ITEM(fl, i), &sg.fetch[i], &sg.is_op[i]) < 0)
            goto out;
    for (Py_ssize_t i = 0; i < nd; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(dl, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "feeds must be (Tensor, value) pairs");
            goto out;
        }
        if (parse_feed_key(self, PyTuple_GET_ITEM(pair, 0), &sg.feed[i], &sg.feed_dt[i]) < 0)
            goto out;
        vals[i] = PyTuple_GET_ITEM(pair, 1);
    }
    res = do_run(self, &sg, vals);
out:
    if (heap) {
        sig_clear(&sg);
        if (vals != vals_small) PyMem_Free(vals);
    }
    Py_DECREF(fl);
    Py_DECREF(dl);
    return res;
}

static PyObject *session_make_callable(NbpySession *self, PyObject *args, PyObject *kw) {
    static char *k[] = {"fetches", "feeds", NULL};
    PyObject *fetches, *keys = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:make_callable", k, &fetches, &keys)) return NULL;
    if (check_open(self) < 0) return NULL;
    NbpyCallable *c = PyObject_GC_New(NbpyCallable, &NbpyCallable_Type);
    if (!c) return NULL;
    memset(&c->sg, 0, sizeof c->sg);
    Py_INCREF(self);
    c->sess = self;
    PyObject_GC_Track(c);
    if (parse_sig(self, fetches, keys, &c->sg) < 0) {
        Py_DECREF(c);
        return NULL;
    }
    return (PyObject *)c;
}

static int var_arg(NbpySession *self, PyObject *arg, nb_output *o) {
    NbpyOutput *x;
    if (!nbpy_output_conv(arg, &x)) return -1;
    if (x->graph != self->graph) return not_element(arg);
    *o = (nb_output){x->op, x->index};
    return 0;
}

static PyObject *session_variable_value(NbpySession *self, PyObject *arg) {
    nb_output o;
    if (check_open(self) < 0 || var_arg(self, arg, &o) < 0) return NULL;
    sess_rdlock(self);
    nb_tensor *t = self->s ? nb_session_variable_value(self->s, o) : NULL;
    pthread_rwlock_unlock(&self->lock);
    return nbpy_array_from_tensor(t); /* None when uninitialized or no variable */
}

static PyObject *session_set_variable(NbpySession *self, PyObject *args) {
    PyObject *var, *value;
    nb_output o;
    if (!PyArg_ParseTuple(args, "OO:set_variable", &var, &value)) return NULL;
    if (check_open(self) < 0 || var_arg(self, var, &o) < 0) return NULL;
    nb_tensor *t = nbpy_tensor_from_object(value, nb_output_dtype(o));
    if (!t) return NULL;
    sess_rdlock(self);
    nb_status st = self->s ? nb_session_set_variable(self->s, o, t) : NB_ERR_INVALID_ARGUMENT;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", self->s ? nb_session_errmsg(self->s) : closed_msg);
    pthread_rwlock_unlock(&self->lock);
    nb_tensor_unref(t);
    if (st != NB_OK) {
        if (!msg[0]) snprintf(msg, sizeof msg, "cannot set the variable: %s", nb_status_string(st));
        return nbpy_raise_status(st, msg);
    }
    Py_RETURN_NONE;
}

typedef nb_status (*ckpt_fn)(nb_session *, const char *, nb_error *);

static PyObject *checkpoint_call(NbpySession *self, PyObject *args, ckpt_fn fn, const char *fmt) {
    PyObject *path;
    if (!PyArg_ParseTuple(args, fmt, PyUnicode_FSConverter, &path)) return NULL;
    if (check_open(self) < 0) {
        Py_DECREF(path);
        return NULL;
    }
    nb_error err = {NB_OK, ""};
    nb_status st;
    sess_rdlock(self);
    Py_BEGIN_ALLOW_THREADS
    st = self->s ? fn(self->s, PyBytes_AS_STRING(path), &err) : NB_ERR_INVALID_ARGUMENT;
    Py_END_ALLOW_THREADS
    pthread_rwlock_unlock(&self->lock);
    Py_DECREF(path);
    if (st != NB_OK) return nbpy_raise_status(st, err.message[0] ? err.message : closed_msg);
    Py_RETURN_NONE;
}

static PyObject *session_save(NbpySession *self, PyObject *args) {
    return checkpoint_call(self, args, nb_checkpoint_save, "O&:save");
}

static PyObject *session_restore(NbpySession *self, PyObject *args) {
    return checkpoint_call(self, args, nb_checkpoint_restore, "O&:restore");
}

static PyObject *session_save_step(NbpySession *self, PyObject *args) {
    PyObject *prefix;
    long long step;
    int keep = 5;
    if (!PyArg_ParseTuple(args, "O&L|i:save_step", PyUnicode_FSConverter, &prefix, &step, &keep))
        return NULL;
    if (check_open(self) < 0) {
        Py_DECREF(prefix);
        return NULL;
    }
    nb_error err = {NB_OK, ""};
    char *saved = NULL;
    nb_status st;
    sess_rdlock(self);
    Py_BEGIN_ALLOW_THREADS
    st = self->s ? nb_checkpoint_save_step(self->s, PyBytes_AS_STRING(prefix), step, keep, &saved, &err)
                 : NB_ERR_INVALID_ARGUMENT;
    Py_END_ALLOW_THREADS
    pthread_rwlock_unlock(&self->lock);
    Py_DECREF(prefix);
    if (st != NB_OK) {
        free(saved);
        return nbpy_raise_status(st, err.message[0] ? err.message : closed_msg);
    }
    PyObject *r = saved ? PyUnicode_DecodeFSDefault(saved) : Py_NewRef(Py_None);
    free(saved);
    return r;
}

static PyObject *session_set_check_numerics(NbpySession *self, PyObject *arg) {
    bool on;
    if (!nbpy_bool_conv(arg, &on) || check_open(self) < 0) return NULL;
    nb_session_set_check_numerics(self->s, on);
    Py_RETURN_NONE;
}

static PyObject *session_freeze(NbpySession *self, PyObject *arg) {
    if (check_open(self) < 0) return NULL;
    nbpy_outs o;
    if (!nbpy_outs_conv(arg, &o)) return NULL;
    if (o.n > 0 && o.graph != self->graph) {
        nbpy_outs_clear(&o);
        PyErr_SetString(PyExc_ValueError, "freeze: the outputs are not elements of this graph");
        return NULL;
    }
    nb_graph *frozen = NULL;
    nb_error err = {NB_OK, ""};
    sess_rdlock(self);
    nb_status st = self->s ? nb_graph_freeze(self->s, o.v, o.n, &frozen, &err) : NB_ERR_INVALID_ARGUMENT;
    pthread_rwlock_unlock(&self->lock);
    nbpy_outs_clear(&o);
    if (st != NB_OK) return nbpy_raise_status(st, err.message[0] ? err.message : closed_msg);
    NbpyGraph *g = (NbpyGraph *)NbpyGraph_Type.tp_alloc(&NbpyGraph_Type, 0);
    if (!g) {
        nb_graph_free(frozen);
        return NULL;
    }
    g->g = frozen;
    pthread_rwlock_init(&g->lock, NULL);
    return (PyObject *)g;
}

static PyObject *session_closed(NbpySession *self, void *c) {
    (void)c;
    return PyBool_FromLong(self->s == NULL);
}

static PyObject *session_graph(NbpySession *self, void *c) {
    (void)c;
    return Py_NewRef(self->graph ? (PyObject *)self->graph : Py_None);
}

static PyMethodDef session_methods[] = {
    {"run", (PyCFunction)(void (*)(void))session_run, METH_VARARGS | METH_KEYWORDS,
     "run(fetches, feeds=None) -> list; fetches: Outputs/Ops, feeds: [(Output, value)]"},
    {"make_callable", (PyCFunction)(void (*)(void))session_make_callable,
     METH_VARARGS | METH_KEYWORDS, "make_callable(fetches, feed_outputs=None) -> Callable(*values)"},
    {"close", (PyCFunction)session_close, METH_NOARGS, "frees the session; later use raises RuntimeError"},
    {"variable_value", (PyCFunction)session_variable_value, METH_O,
     "variable_value(var) -> ndarray, or None when uninitialized / not a variable"},
    {"set_variable", (PyCFunction)session_set_variable, METH_VARARGS, "set_variable(var, value)"},
    {"save", (PyCFunction)session_save, METH_VARARGS, "save(path): nb_checkpoint_save"},
    {"restore", (PyCFunction)session_restore, METH_VARARGS, "restore(path): nb_checkpoint_restore"},
    {"save_step", (PyCFunction)session_save_step, METH_VARARGS,
     "save_step(prefix, step, max_to_keep=5) -> saved path (nb_checkpoint_save_step)"},
    {"set_check_numerics", (PyCFunction)session_set_check_numerics, METH_O, "on/off"},
    {"freeze", (PyCFunction)session_freeze, METH_O, "freeze(outputs) -> new Graph (nb_graph_freeze)"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef session_getset[] = {
    {"closed", (getter)session_closed, NULL, "True after close()", NULL},
    {"graph", (getter)session_graph, NULL, "the _nabla.Graph", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject NbpySession_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nabla._nabla.Session",
    .tp_basicsize = sizeof(NbpySession),
    .tp_dealloc = (destructor)session_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Session(graph): nb_session over a _nabla.Graph.",
    .tp_traverse = (traverseproc)session_traverse,
    .tp_clear = (inquiry)session_clear,
    .tp_methods = session_methods,
    .tp_getset = session_getset,
    .tp_init = session_init,
    .tp_new = session_new,
};

/*** Callable ***/

static void callable_dealloc(NbpyCallable *self) {
    PyObject_GC_UnTrack(self);
    sig_clear(&self->sg);
    Py_CLEAR(self->sess);
    PyObject_GC_Del(self);
}

static int callable_traverse(NbpyCallable *self, visitproc visit, void *arg) {
    Py_VISIT(self->sess);
    return 0;
}

static int callable_clear(NbpyCallable *self) {
    Py_CLEAR(self->sess);
    return 0;
}

static PyObject *callable_call(NbpyCallable *self, PyObject *args, PyObject *kw) {
    if (kw && PyDict_GET_SIZE(kw)) {
        PyErr_SetString(PyExc_TypeError, "a Callable takes its feed values positionally");
        return NULL;
    }
    if (PyTuple_GET_SIZE(args) != self->sg.n_feed) {
        PyErr_Format(PyExc_TypeError, "this Callable takes %d feed values, got %zd", self->sg.n_feed,
                     PyTuple_GET_SIZE(args));
        return NULL;
    }
    if (!self->sess) {
        PyErr_SetString(PyExc_RuntimeError, closed_msg);
        return NULL;
    }
    if (check_open(self->sess) < 0) return NULL;
    return do_run(self->sess, &self->sg, &PyTuple_GET_ITEM(args, 0));
}

PyTypeObject NbpyCallable_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nabla._nabla.Callable",
    .tp_basicsize = sizeof(NbpyCallable),
    .tp_dealloc = (destructor)callable_dealloc,
    .tp_call = (ternaryfunc)callable_call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A pre-parsed run signature: call with one value per feed.",
    .tp_traverse = (traverseproc)callable_traverse,
    .tp_clear = (inquiry)callable_clear,
};

int nbpy_session_register(PyObject *m) {
    if (PyType_Ready(&NbpySession_Type) < 0 || PyType_Ready(&NbpyCallable_Type) < 0) return -1;
    Py_INCREF(&NbpySession_Type);
    if (PyModule_AddObject(m, "Session", (PyObject *)&NbpySession_Type) < 0) return -1;
    Py_INCREF(&NbpyCallable_Type);
    if (PyModule_AddObject(m, "Callable", (PyObject *)&NbpyCallable_Type) < 0) return -1;
    return 0;
}
