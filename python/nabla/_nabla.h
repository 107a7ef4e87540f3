/*
 * _nabla.h — private header of the CPython extension nabla._nabla, a client of
 * libnabla's public API (include/nabla.h) and numpy's C API. Split by meaning:
 *   _nabla.c          module, Graph / Output / Op types, errors, set_classes
 *   _nabla_tensor.c   numpy array <-> nb_tensor conversion (zero-copy where it can)
 *   _nabla_ops.c      graph builders, table-driven by C signature
 *   _nabla_session.c  Session and Callable (run, variables, checkpoints)
 *   _nabla_train.c    gradients, optimizers, summaries, writer, graphdef, files
 *   _nabla_dist.c     nb_dist_* (MPI, when built with libnabla_dist) and data shards
 */
#ifndef NABLA_PY_H
#define NABLA_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL nbpy_ARRAY_API
#ifndef NBPY_IMPORT_ARRAY
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include "nabla.h"

/* _nabla.Graph: owns one reference of an nb_graph. The rwlock lets sessions run
 * (readers, GIL released) while no builder (writer) changes the graph. */
typedef struct {
    PyObject_HEAD
    nb_graph *g;
    pthread_rwlock_t lock;
    PyObject *weakreflist;
} NbpyGraph;

/* _nabla.Output: (graph, op, index); immutable. */
typedef struct {
    PyObject_HEAD
    NbpyGraph *graph;
    nb_op *op;
    int index;
} NbpyOutput;

/* _nabla.Op: (graph, op). */
typedef struct {
    PyObject_HEAD
    NbpyGraph *graph;
    nb_op *op;
} NbpyOp;

extern PyTypeObject NbpyGraph_Type;
extern PyTypeObject NbpyOutput_Type;
extern PyTypeObject NbpyOp_Type;
extern PyTypeObject NbpySession_Type;
extern PyTypeObject NbpyCallable_Type;
extern PyTypeObject NbpyOptimizer_Type;
extern PyTypeObject NbpyWriter_Type;

/* Objects: new references. */
PyObject *nbpy_output_new(NbpyGraph *graph, nb_output o);  /* None for nil */
PyObject *nbpy_op_new(NbpyGraph *graph, nb_op *op);        /* None for NULL */
PyObject *nbpy_outputs_list(NbpyGraph *graph, const nb_output *o, int n); /* nil -> None */

/* Argument converters for PyArg_Parse "O&". */
int nbpy_graph_conv(PyObject *obj, void *out);   /* NbpyGraph ** */
/* Converts an Output (of any graph; the builder checks the graph). */
int nbpy_output_conv(PyObject *obj, void *out);  /* NbpyOutput ** */
int nbpy_opt_output_conv(PyObject *obj, void *out); /* NbpyOutput ** ; None -> NULL */
int nbpy_name_conv(PyObject *obj, void *out);    /* const char ** ; None -> NULL */
int nbpy_dtype_conv(PyObject *obj, void *out);   /* nb_dtype * ; int */
int nbpy_shape_conv(PyObject *obj, void *out);   /* nb_shape * ; None/tuple */
int nbpy_seed_conv(PyObject *obj, void *out);    /* int64_t * ; None -> NB_SEED_NONE */
int nbpy_bool_conv(PyObject *obj, void *out);    /* bool * */

/* A list of ints (or None) into a C array. */
typedef struct {
    int n;        /* -1 for None */
    int64_t v[64];
} nbpy_ints;
int nbpy_ints_conv(PyObject *obj, void *out); /* nbpy_ints * */

/* A sequence of Outputs of one graph into a malloc'd array (free with nbpy_outs_clear). */
typedef struct {
    int n;
    nb_output *v;
    NbpyGraph *graph; /* borrowed: the first element's graph, or NULL */
} nbpy_outs;
int nbpy_outs_conv(PyObject *obj, void *out); /* nbpy_outs * ; cleanup-capable */
void nbpy_outs_clear(nbpy_outs *o);

/* Checks every output belongs to graph (ValueError otherwise): 0 ok, -1 error. */
int nbpy_check_graph(NbpyGraph *graph, NbpyOutput *const *outs, int n);
int nbpy_check_graph_outs(NbpyGraph *graph, const nbpy_outs *o);

/* Builder protocol: nbpy_build_begin takes the graph's write lock; nbpy_build_end
 * releases it and turns a sticky error into TypeError/ValueError (clearing it).
 * Returns 0 when the graph is fine, -1 with an exception set. */
void nbpy_build_begin(NbpyGraph *graph);
int nbpy_build_end(NbpyGraph *graph);
/* Finishes a builder returning one output. */
PyObject *nbpy_build_result(NbpyGraph *graph, nb_output o);

/* Errors. */
PyObject *nbpy_raise_status(nb_status code, const char *message); /* run/IO errors: NULL */
PyObject *nbpy_raise_graph(nb_status code, const char *message);  /* build errors: NULL */

/* Conversion (_nabla_tensor.c). */
int nbpy_npy_type(nb_dtype dt);            /* -1 if none */
nb_dtype nbpy_nb_dtype(int npy_type);      /* NB_DTYPE_INVALID if none */
/* Converts a Python value into a tensor of dtype `want` (NB_DTYPE_INVALID: the
 * value's own dtype). C-contiguous, aligned arrays of the right dtype are wrapped
 * without a copy. New reference, or NULL with an exception set. */
nb_tensor *nbpy_tensor_from_object(PyObject *obj, nb_dtype want);
/* Takes over a reference on t and returns a fresh ndarray (rank 0: a numpy
 * scalar) that owns t's buffer, copying only when t is shared. NULL on error
 * (t is released either way). */
PyObject *nbpy_array_from_tensor(nb_tensor *t);

/* Registration of the types and functions of each file. */
int nbpy_ops_register(PyObject *module);
int nbpy_session_register(PyObject *module);
int nbpy_train_register(PyObject *module);
int nbpy_dist_register(PyObject *module); /* _nabla_dist.c */
extern PyMethodDef nbpy_tensor_methods[];
extern PyMethodDef nbpy_train_methods[];

/* set_classes: the subclasses outputs and ops are created as. */
extern PyTypeObject *nbpy_tensor_cls;
extern PyTypeObject *nbpy_operation_cls;

#endif
