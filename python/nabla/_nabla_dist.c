/*
 * _nabla_dist.c — data-parallel training over MPI (libnabla_dist's nb_dist_*),
 * the low level of nabla.distributed. Compiled always: when CMake found MPI it
 * defines NBPY_HAVE_DIST and links libnabla_dist; otherwise every function but
 * dist_available / dist_rank / dist_size / ... raises ImportError saying so,
 * and the rank/size queries answer 0 and 1 (as libnabla_dist does before
 * nb_dist_init).
 */
#include "_nabla.h"

#include <stdint.h>

static inline nb_output O(const NbpyOutput *o) {
    return o ? (nb_output){o->op, o->index} : nb_nil;
}

#ifdef NBPY_HAVE_DIST
#define HAVE 1
#else
#define HAVE 0
static PyObject *unavailable(void) {
    PyErr_SetString(PyExc_ImportError,
                    "nabla.distributed: this nabla was built without MPI (no libnabla_dist); "
                    "install libopenmpi-dev and openmpi-bin and rebuild nabla");
    return NULL;
}
#endif

static PyObject *d_available(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
    return PyBool_FromLong(HAVE);
}

static PyObject *d_launched(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
#ifdef NBPY_HAVE_DIST
    return PyBool_FromLong(nb_dist_launched());
#else
    Py_RETURN_FALSE;
#endif
}

static PyObject *d_init(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
#ifdef NBPY_HAVE_DIST
    nb_error err;
    if (nb_dist_init(NULL, NULL, &err) != NB_OK) return nbpy_raise_status(err.code, err.message);
    Py_RETURN_NONE;
#else
    return unavailable();
#endif
}

static PyObject *d_finalize(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
#ifdef NBPY_HAVE_DIST
    if (nb_dist_finalize() != NB_OK)
        return nbpy_raise_status(NB_ERR_FAILED_PRECONDITION,
                                 "nabla.distributed: a collective failed earlier (a rank gone?); "
                                 "MPI was not finalized: end the job with abort()");
#endif
    Py_RETURN_NONE;
}

static PyObject *d_abort(PyObject *self, PyObject *arg) {
    (void)self;
    long code = PyLong_AsLong(arg);
    if (code == -1 && PyErr_Occurred()) return NULL;
#ifdef NBPY_HAVE_DIST
    nb_dist_abort((int)code);
#endif
    Py_RETURN_NONE;
}

/* rank, size, local_rank, local_size: 0/1 before init and without MPI. */
static PyObject *d_query(PyObject *self, PyObject *unused) {
    (void)unused;
    long which = PyLong_AsLong(self), v = which == 1 || which == 3 ? 1 : 0;
#ifdef NBPY_HAVE_DIST
    v = which == 0 ? nb_dist_rank() : which == 1 ? nb_dist_size()
      : which == 2 ? nb_dist_local_rank() : nb_dist_local_size();
#endif
    return PyLong_FromLong(v);
}

static PyObject *d_set_timeout(PyObject *self, PyObject *arg) {
    (void)self;
    double s = PyFloat_AsDouble(arg);
    if (s == -1.0 && PyErr_Occurred()) return NULL;
    if (!(s > 0)) {
        PyErr_SetString(PyExc_ValueError, "timeout must be > 0 seconds");
        return NULL;
    }
#ifdef NBPY_HAVE_DIST
    nb_dist_set_timeout(s);
    Py_RETURN_NONE;
#else
    return unavailable();
#endif
}

static PyObject *d_get_timeout(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
#ifdef NBPY_HAVE_DIST
    return PyFloat_FromDouble(nb_dist_get_timeout());
#else
    return unavailable();
#endif
}

static PyObject *d_set_fusion(PyObject *self, PyObject *arg) {
    (void)self;
    long long b = PyLong_AsLongLong(arg);
    if (b == -1 && PyErr_Occurred()) return NULL;
    if (b < 0) {
        PyErr_SetString(PyExc_ValueError, "fusion threshold must be >= 0 bytes");
        return NULL;
    }
#ifdef NBPY_HAVE_DIST
    nb_dist_set_fusion_threshold((size_t)b);
    Py_RETURN_NONE;
#else
    return unavailable();
#endif
}

static PyObject *d_get_fusion(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
#ifdef NBPY_HAVE_DIST
    return PyLong_FromSize_t(nb_dist_get_fusion_threshold());
#else
    return unavailable();
#endif
}

static int reduce_conv(PyObject *obj, void *out) {
    long v = PyLong_AsLong(obj);
    if (v == -1 && PyErr_Occurred()) return 0;
    if (v != 0 && v != 1) {
        PyErr_Format(PyExc_ValueError, "op must be 0 (Average) or 1 (Sum), not %ld", v);
        return 0;
    }
    *(int *)out = (int)v;
    return 1;
}

/* dist_allreduce(graph, x, op=0, name=None); op 0 Average, 1 Sum */
static PyObject *d_allreduce(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "x", "op", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    int op = 0;
    const char *name = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&|O&O&:dist_allreduce", k, nbpy_graph_conv, &g,
                                     nbpy_output_conv, &x, reduce_conv, &op, nbpy_name_conv, &name))
        return NULL;
#ifdef NBPY_HAVE_DIST
    if (nbpy_check_graph(g, &x, 1) < 0) return NULL;
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_dist_allreduce(g->g, O(x), (nb_dist_reduce)op, name));
#else
    return unavailable();
#endif
}

/* dist_grouped_allreduce(graph, xs, op=0, name=None) -> [Output] */
static PyObject *d_grouped_allreduce(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "xs", "op", "name", NULL};
    NbpyGraph *g;
    nbpy_outs xs;
    int op = 0;
    const char *name = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&|O&O&:dist_grouped_allreduce", k,
                                     nbpy_graph_conv, &g, nbpy_outs_conv, &xs, reduce_conv, &op,
                                     nbpy_name_conv, &name))
        return NULL;
#ifdef NBPY_HAVE_DIST
    PyObject *res = NULL;
    nb_output *ys = NULL;
    if (nbpy_check_graph_outs(g, &xs) < 0) goto out;
    ys = PyMem_Calloc((size_t)xs.n + 1, sizeof *ys);
    if (!ys) {
        PyErr_NoMemory();
        goto out;
    }
    nbpy_build_begin(g);
    nb_dist_grouped_allreduce(g->g, xs.v, xs.n, (nb_dist_reduce)op, name, ys);
    if (nbpy_build_end(g) == 0) res = nbpy_outputs_list(g, ys, xs.n);
out:
    PyMem_Free(ys);
    nbpy_outs_clear(&xs);
    return res;
#else
    nbpy_outs_clear(&xs);
    return unavailable();
#endif
}

/* dist_gradients(graph, loss, vars, op=0) -> [Output or None]: nb_dist_gradients,
 * the C distributed optimizer's gradients (fusion and overlap). */
static PyObject *d_gradients(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "loss", "vars", "op", NULL};
    NbpyGraph *g;
    NbpyOutput *loss;
    nbpy_outs vs;
    int op = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&O&|O&:dist_gradients", k, nbpy_graph_conv, &g,
                                     nbpy_output_conv, &loss, nbpy_outs_conv, &vs, reduce_conv, &op))
        return NULL;
#ifdef NBPY_HAVE_DIST
    PyObject *res = NULL;
    nb_output *gr = NULL;
    if (nbpy_check_graph(g, &loss, 1) < 0 || nbpy_check_graph_outs(g, &vs) < 0) goto out;
    gr = PyMem_Calloc((size_t)vs.n + 1, sizeof *gr);
    if (!gr) {
        PyErr_NoMemory();
        goto out;
    }
    nbpy_build_begin(g);
    nb_dist_gradients(O(loss), vs.v, vs.n, (nb_dist_reduce)op, gr);
    if (nbpy_build_end(g) == 0) res = nbpy_outputs_list(g, gr, vs.n);
out:
    PyMem_Free(gr);
    nbpy_outs_clear(&vs);
    return res;
#else
    nbpy_outs_clear(&vs);
    return unavailable();
#endif
}

static PyObject *d_set_overlap(PyObject *self, PyObject *arg) {
    (void)self;
    long long b = PyLong_AsLongLong(arg);
    if (b == -1 && PyErr_Occurred()) return NULL;
    if (b < 0) {
        PyErr_SetString(PyExc_ValueError, "overlap bucket must be >= 0 bytes");
        return NULL;
    }
#ifdef NBPY_HAVE_DIST
    nb_dist_set_overlap((size_t)b);
    Py_RETURN_NONE;
#else
    return unavailable();
#endif
}

static PyObject *d_get_overlap(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
#ifdef NBPY_HAVE_DIST
    return PyLong_FromSize_t(nb_dist_get_overlap());
#else
    return unavailable();
#endif
}

/* dist_broadcast(graph, x, name=None) (self 0) / dist_allgather (self 1) */
static PyObject *d_bcast_gather(PyObject *self, PyObject *args, PyObject *kw) {
    static char *k[] = {"graph", "x", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    const char *name = NULL;
    long which = PyLong_AsLong(self);
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&|O&", k, nbpy_graph_conv, &g,
                                     nbpy_output_conv, &x, nbpy_name_conv, &name))
        return NULL;
#ifdef NBPY_HAVE_DIST
    if (nbpy_check_graph(g, &x, 1) < 0) return NULL;
    nbpy_build_begin(g);
    nb_output y = which == 0 ? nb_dist_broadcast(g->g, O(x), name)
                             : nb_dist_allgather(g->g, O(x), name);
    return nbpy_build_result(g, y);
#else
    (void)which;
    return unavailable();
#endif
}

/* dist_broadcast_global_variables(graph, name=None) -> Output (its op assigns rank 0's values) */
static PyObject *d_bcast_vars(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "name", NULL};
    NbpyGraph *g;
    const char *name = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|O&:dist_broadcast_global_variables", k,
                                     nbpy_graph_conv, &g, nbpy_name_conv, &name))
        return NULL;
#ifdef NBPY_HAVE_DIST
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_dist_broadcast_global_variables(g->g, name));
#else
    return unavailable();
#endif
}

/* dist_allreduce_array(value, op=0) -> ndarray: an all-reduce outside any graph. */
static PyObject *d_allreduce_array(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"value", "op", NULL};
    PyObject *v;
    int op = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O&:dist_allreduce_array", k, &v, reduce_conv,
                                     &op))
        return NULL;
#ifdef NBPY_HAVE_DIST
    nb_tensor *t = nbpy_tensor_from_object(v, NB_DTYPE_INVALID);
    if (!t) return NULL;
    /* a private copy: the value's own buffer may be wrapped without a copy */
    nb_tensor *c = nb_tensor_copy(t);
    nb_tensor_unref(t);
    if (!c) return PyErr_NoMemory();
    nb_error err;
    nb_status st;
    Py_BEGIN_ALLOW_THREADS
    st = nb_dist_allreduce_buffer(nb_tensor_data(c), nb_tensor_size(c), nb_tensor_dtype(c),
                                  (nb_dist_reduce)op, &err);
    Py_END_ALLOW_THREADS
    if (st != NB_OK) {
        nb_tensor_unref(c);
        return nbpy_raise_status(st, err.message);
    }
    return nbpy_array_from_tensor(c);
#else
    (void)v;
    return unavailable();
#endif
}

static PyObject *d_barrier(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
#ifdef NBPY_HAVE_DIST
    nb_error err;
    nb_status st;
    Py_BEGIN_ALLOW_THREADS
    st = nb_dist_barrier(&err);
    Py_END_ALLOW_THREADS
    if (st != NB_OK) return nbpy_raise_status(st, err.message);
    Py_RETURN_NONE;
#else
    return unavailable();
#endif
}

/*** Data shards (libnabla; no MPI needed) ***/

/* shard_rows(n, global_batch, rank, size, seed, epoch, drop_remainder=False) -> int64 ndarray */
static PyObject *s_rows(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"n", "global_batch", "rank", "size", "seed", "epoch", "drop_remainder", NULL};
    long long n, gb, epoch;
    int rank, size;
    unsigned long long seed;
    int drop = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "LLiiKL|p:shard_rows", k, &n, &gb, &rank, &size, &seed,
                                     &epoch, &drop))
        return NULL;
    nb_error err = {NB_OK, ""};
    nb_tensor *t = nb_shard_rows(n, gb, rank, size, seed, epoch, drop != 0, &err);
    if (!t) return nbpy_raise_status(err.code, err.message);
    return nbpy_array_from_tensor(t);
}

/* shard_permutation(n, seed, epoch) -> int64 ndarray */
static PyObject *s_perm(PyObject *self, PyObject *args) {
    (void)self;
    long long n, epoch;
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "LKL:shard_permutation", &n, &seed, &epoch)) return NULL;
    nb_error err = {NB_OK, ""};
    int64_t dn = n < 0 ? 0 : n;
    nb_tensor *t = nb_tensor_zeros(NB_INT64, 1, &dn);
    if (!t) return PyErr_NoMemory();
    if (nb_shard_permutation(n, seed, epoch, nb_tensor_data(t), &err) != NB_OK) {
        nb_tensor_unref(t);
        return nbpy_raise_status(err.code, err.message);
    }
    return nbpy_array_from_tensor(t);
}

/* The int64 row list of a Python sequence / array (new reference), or NULL. */
static PyArrayObject *rows_array(PyObject *rows) {
    return (PyArrayObject *)PyArray_FROMANY(rows, NPY_INT64, 1, 1, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
}

/* idx_read_rows(path, rows) -> ndarray */
static PyObject *s_idx_rows(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *path, *rows;
    if (!PyArg_ParseTuple(args, "O&O:idx_read_rows", PyUnicode_FSConverter, &path, &rows)) return NULL;
    PyArrayObject *r = rows_array(rows);
    if (!r) {
        Py_DECREF(path);
        return NULL;
    }
    nb_error err = {NB_OK, ""};
    nb_tensor *t;
    const int64_t *rv = PyArray_DATA(r);
    int64_t nr = (int64_t)PyArray_SIZE(r);
    Py_BEGIN_ALLOW_THREADS
    t = nb_idx_read_rows(PyBytes_AS_STRING(path), rv, nr, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(r);
    Py_DECREF(path);
    if (!t) return nbpy_raise_status(err.code, err.message);
    return nbpy_array_from_tensor(t);
}

/* idx_header(path) -> (dtype, dims tuple) */
static PyObject *s_idx_header(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *path;
    if (!PyArg_ParseTuple(args, "O&:idx_header", PyUnicode_FSConverter, &path)) return NULL;
    nb_error err = {NB_OK, ""};
    nb_dtype dt;
    int rank = 0;
    int64_t dims[NB_MAX_RANK];
    nb_status st = nb_idx_header(PyBytes_AS_STRING(path), &dt, &rank, dims, &err);
    Py_DECREF(path);
    if (st != NB_OK) return nbpy_raise_status(err.code, err.message);
    PyObject *d = PyTuple_New(rank);
    for (int i = 0; d && i < rank; i++) {
        PyObject *v = PyLong_FromLongLong(dims[i]);
        if (!v) {
            Py_CLEAR(d);
            break;
        }
        PyTuple_SET_ITEM(d, i, v);
    }
    if (!d) return NULL;
    return Py_BuildValue("(iN)", (int)dt, d);
}

/* csv_read_rows(path, rows, has_header=True, columns=None, dtype=FLOAT32) -> ndarray */
static PyObject *s_csv_rows(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"path", "rows", "has_header", "columns", "dtype", NULL};
    PyObject *path, *rows, *cols = Py_None;
    int header = 1;
    nb_dtype dt = NB_FLOAT32;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O|pOO&:csv_read_rows", k, PyUnicode_FSConverter,
                                     &path, &rows, &header, &cols, nbpy_dtype_conv, &dt))
        return NULL;
    PyObject *res = NULL, *seq = NULL;
    const char **names = NULL;
    PyArrayObject *r = rows_array(rows);
    if (!r) goto out;
    Py_ssize_t nc = 0;
    if (cols != Py_None) {
        seq = PySequence_Fast(cols, "columns must be a list of str");
        if (!seq) goto out;
        nc = PySequence_Fast_GET_SIZE(seq);
        names = PyMem_Calloc((size_t)nc + 1, sizeof *names);
        if (!names) {
            PyErr_NoMemory();
            goto out;
        }
        for (Py_ssize_t i = 0; i < nc; i++) {
            names[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i));
            if (!names[i]) goto out;
        }
    }
    nb_error err = {NB_OK, ""};
    nb_tensor *t = nb_csv_read_rows(PyBytes_AS_STRING(path), header != 0, names, (int)nc, dt,
                                    PyArray_DATA(r), (int64_t)PyArray_SIZE(r), &err);
    res = t ? nbpy_array_from_tensor(t) : nbpy_raise_status(err.code, err.message);
out:
    PyMem_Free(names);
    Py_XDECREF(seq);
    Py_XDECREF(r);
    Py_DECREF(path);
    return res;
}

/* csv_num_rows(path, has_header=True) -> int */
static PyObject *s_csv_count(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"path", "has_header", NULL};
    PyObject *path;
    int header = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|p:csv_num_rows", k, PyUnicode_FSConverter, &path,
                                     &header))
        return NULL;
    nb_error err = {NB_OK, ""};
    int64_t n = 0;
    nb_status st = nb_csv_num_rows(PyBytes_AS_STRING(path), header != 0, &n, &err);
    Py_DECREF(path);
    if (st != NB_OK) return nbpy_raise_status(err.code, err.message);
    return PyLong_FromLongLong(n);
}

#define KW (METH_VARARGS | METH_KEYWORDS)
#define F(f) (PyCFunction)(void (*)(void))(f)
static PyMethodDef dist_methods[] = {
    {"dist_available", d_available, METH_NOARGS, "whether nabla was built with MPI (libnabla_dist)"},
    {"dist_launched", d_launched, METH_NOARGS, "nb_dist_launched: started by mpirun"},
    {"dist_init", d_init, METH_NOARGS, "nb_dist_init"},
    {"dist_finalize", d_finalize, METH_NOARGS, "nb_dist_finalize"},
    {"dist_abort", d_abort, METH_O, "nb_dist_abort(code)"},
    {"dist_set_timeout", d_set_timeout, METH_O, "nb_dist_set_timeout(seconds)"},
    {"dist_get_timeout", d_get_timeout, METH_NOARGS, "nb_dist_get_timeout()"},
    {"dist_set_fusion_threshold", d_set_fusion, METH_O, "nb_dist_set_fusion_threshold(bytes)"},
    {"dist_get_fusion_threshold", d_get_fusion, METH_NOARGS, "nb_dist_get_fusion_threshold()"},
    {"dist_gradients", F(d_gradients), KW,
     "dist_gradients(graph, loss, vars, op=0) -> [Output or None] (nb_dist_gradients)"},
    {"dist_set_overlap", d_set_overlap, METH_O, "nb_dist_set_overlap(bucket_bytes)"},
    {"dist_get_overlap", d_get_overlap, METH_NOARGS, "nb_dist_get_overlap()"},
    {"dist_allreduce", F(d_allreduce), KW, "dist_allreduce(graph, x, op=0 (Average) | 1 (Sum), name=None)"},
    {"dist_grouped_allreduce", F(d_grouped_allreduce), KW,
     "dist_grouped_allreduce(graph, xs, op=0, name=None) -> [Output]"},
    {"dist_broadcast_global_variables", F(d_bcast_vars), KW,
     "dist_broadcast_global_variables(graph, name=None) -> Output"},
    {"dist_allreduce_array", F(d_allreduce_array), KW,
     "dist_allreduce_array(value, op=0) -> ndarray (outside any graph)"},
    {"dist_barrier", d_barrier, METH_NOARGS, "nb_dist_barrier()"},
    {"shard_rows", F(s_rows), KW,
     "shard_rows(n, global_batch, rank, size, seed, epoch, drop_remainder=False) -> int64 array"},
    {"shard_permutation", s_perm, METH_VARARGS, "shard_permutation(n, seed, epoch) -> int64 array"},
    {"idx_read_rows", s_idx_rows, METH_VARARGS, "idx_read_rows(path, rows) -> ndarray"},
    {"idx_header", s_idx_header, METH_VARARGS, "idx_header(path) -> (dtype, dims)"},
    {"csv_read_rows", F(s_csv_rows), KW,
     "csv_read_rows(path, rows, has_header=True, columns=None, dtype=FLOAT32) -> ndarray"},
    {"csv_num_rows", F(s_csv_count), KW, "csv_num_rows(path, has_header=True) -> int"},
    {NULL, NULL, 0, NULL}};

/* Functions sharing a body, told apart by their self (an int). */
static PyMethodDef dist_indexed[] = {
    {"dist_rank", d_query, METH_NOARGS, "nb_dist_rank (0 before init)"},
    {"dist_size", d_query, METH_NOARGS, "nb_dist_size (1 before init)"},
    {"dist_local_rank", d_query, METH_NOARGS, "nb_dist_local_rank (0 before init)"},
    {"dist_local_size", d_query, METH_NOARGS, "nb_dist_local_size (1 before init)"},
    {"dist_broadcast", F(d_bcast_gather), KW, "dist_broadcast(graph, x, name=None): rank 0's x"},
    {"dist_allgather", F(d_bcast_gather), KW,
     "dist_allgather(graph, x, name=None): the ranks' x along axis 0"},
};

int nbpy_dist_register(PyObject *m) {
    PyObject *modname = PyModule_GetNameObject(m);
    if (!modname) return -1;
    for (size_t i = 0; i < sizeof dist_indexed / sizeof dist_indexed[0]; i++) {
        PyObject *v = PyLong_FromSize_t(i < 4 ? i : i - 4);
        PyObject *f = v ? PyCFunction_NewEx(&dist_indexed[i], v, modname) : NULL;
        Py_XDECREF(v);
        if (!f || PyModule_AddObject(m, dist_indexed[i].ml_name, f) < 0) {
            Py_XDECREF(f);
            Py_DECREF(modname);
            return -1;
        }
    }
    Py_DECREF(modname);
    return PyModule_AddFunctions(m, dist_methods);
}
