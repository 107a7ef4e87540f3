/*
 * _nabla_tensor.c — numpy arrays to nb_tensors and back.
 * In: a C-contiguous, aligned, native-order array of the wanted dtype is wrapped
 *     (nb_tensor_wrap) with no copy; the tensor holds a reference on the array,
 *     dropped by a deleter that takes the GIL. Anything else goes through
 *     np.asarray(value, dtype) (unsafe casting, as TF1's feeds) and that array
 *     is wrapped.
 * Out: a fetched tensor becomes an ndarray whose buffer is the tensor's own,
 *     kept alive by a capsule base; when the tensor is shared (a constant's or a
 *     variable's value, a fed array) it is copied first, so every fetch is a
 *     fresh writable array. Rank 0 gives a numpy scalar (np.float32, ...).
 */
#include "_nabla.h"

#include <string.h>

int nbpy_npy_type(nb_dtype dt) {
    switch (dt) {
    case NB_FLOAT32: return NPY_FLOAT32;
    case NB_FLOAT64: return NPY_FLOAT64;
    case NB_INT32: return NPY_INT32;
    case NB_UINT8: return NPY_UINT8;
    case NB_INT64: return NPY_INT64;
    case NB_BOOL: return NPY_BOOL;
    default: return -1;
    }
}

nb_dtype nbpy_nb_dtype(int t) {
    switch (t) {
    case NPY_FLOAT32: return NB_FLOAT32;
    case NPY_FLOAT64: return NB_FLOAT64;
    case NPY_UINT8: return NB_UINT8;
    case NPY_BOOL: return NB_BOOL;
    case NPY_INT: return sizeof(int) == 4 ? NB_INT32 : NB_DTYPE_INVALID;
    case NPY_LONG: return sizeof(long) == 8 ? NB_INT64 : sizeof(long) == 4 ? NB_INT32 : NB_DTYPE_INVALID;
    case NPY_LONGLONG: return sizeof(long long) == 8 ? NB_INT64 : NB_DTYPE_INVALID;
    default: break;
    }
    /* int and long may share a width: compare by kind and size */
    PyArray_Descr *d = PyArray_DescrFromType(t);
    if (!d) {
        PyErr_Clear();
        return NB_DTYPE_INVALID;
    }
    nb_dtype r = NB_DTYPE_INVALID;
    if (d->kind == 'i' && d->elsize == 4) r = NB_INT32;
    else if (d->kind == 'i' && d->elsize == 8) r = NB_INT64;
    Py_DECREF(d);
    return r;
}

static void array_deleter(void *data, size_t nbytes, void *ctx) {
    (void)data;
    (void)nbytes;
    if (PyGILState_Check()) {
        Py_DECREF((PyObject *)ctx);
        return;
    }
    PyGILState_STATE s = PyGILState_Ensure();
    Py_DECREF((PyObject *)ctx);
    PyGILState_Release(s);
}

static bool fits(PyArrayObject *a, nb_dtype want) {
    nb_dtype have = nbpy_nb_dtype(PyArray_TYPE(a));
    return have != NB_DTYPE_INVALID && (want == NB_DTYPE_INVALID || have == want) &&
           PyArray_IS_C_CONTIGUOUS(a) && PyArray_ISALIGNED(a) && PyArray_ISNOTSWAPPED(a);
}

nb_tensor *nbpy_tensor_from_object(PyObject *obj, nb_dtype want) {
    PyArrayObject *arr;
    if (PyArray_Check(obj) && fits((PyArrayObject *)obj, want)) {
        Py_INCREF(obj);
        arr = (PyArrayObject *)obj;
    } else {
        PyArray_Descr *descr = NULL;
        if (want != NB_DTYPE_INVALID) {
            int t = nbpy_npy_type(want);
            if (t < 0) {
                PyErr_Format(PyExc_TypeError, "dtype %d has no numpy equivalent", (int)want);
                return NULL;
            }
            descr = PyArray_DescrFromType(t);
            if (!descr) return NULL;
        }
        arr = (PyArrayObject *)PyArray_FromAny(
            obj, descr, 0, 0, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED | NPY_ARRAY_FORCECAST,
            NULL);
        if (!arr) return NULL;
        if (want == NB_DTYPE_INVALID && !fits(arr, want)) {
            /* numpy chose a dtype nabla lacks (int16, float16, str, object, ...) */
            PyErr_Format(PyExc_TypeError, "nabla has no dtype for numpy's %R (use float32, "
                         "float64, int32, int64, uint8 or bool)", (PyObject *)PyArray_DESCR(arr));
            Py_DECREF(arr);
            return NULL;
        }
        if (!PyArray_ISNOTSWAPPED(arr)) {
            PyArrayObject *c = (PyArrayObject *)PyArray_NewCopy(arr, NPY_CORDER);
            Py_DECREF(arr);
            if (!c) return NULL;
            arr = c;
        }
    }
    int rank = PyArray_NDIM(arr);
    if (rank > NB_MAX_RANK) {
        PyErr_Format(PyExc_ValueError, "rank %d is above nabla's maximum rank %d", rank,
                     NB_MAX_RANK);
        Py_DECREF(arr);
        return NULL;
    }
    int64_t dims[NB_MAX_RANK];
    for (int i = 0; i < rank; i++) dims[i] = (int64_t)PyArray_DIM(arr, i);
    nb_dtype dt = nbpy_nb_dtype(PyArray_TYPE(arr));
    size_t nbytes = (size_t)PyArray_NBYTES(arr);
    nb_tensor *t = nb_tensor_wrap(dt, rank, dims, PyArray_DATA(arr), nbytes, array_deleter, arr);
    if (!t) PyErr_SetString(PyExc_MemoryError, "could not wrap the array as a tensor");
    return t;
}

static void capsule_unref(PyObject *cap) {
    nb_tensor_unref(PyCapsule_GetPointer(cap, "nabla.tensor"));
}

PyObject *nbpy_array_from_tensor(nb_tensor *t) {
    if (!t) Py_RETURN_NONE;
    int type = nbpy_npy_type(nb_tensor_dtype(t));
    if (type < 0) {
        nb_tensor_unref(t);
        PyErr_SetString(PyExc_TypeError, "a fetched tensor has no numpy dtype");
        return NULL;
    }
    int rank = nb_tensor_rank(t);
    if (rank == 0) {
        PyArray_Descr *d = PyArray_DescrFromType(type);
        PyObject *s = d ? PyArray_Scalar(nb_tensor_data(t), d, NULL) : NULL;
        Py_XDECREF(d);
        nb_tensor_unref(t);
        return s;
    }
    if (!nb_tensor_is_exclusive(t)) {
        nb_tensor *c = nb_tensor_copy(t);
        nb_tensor_unref(t);
        if (!c) return PyErr_NoMemory();
        t = c;
    }
    npy_intp dims[NB_MAX_RANK];
    for (int i = 0; i < rank; i++) dims[i] = (npy_intp)nb_tensor_dim(t, i);
    if (nb_tensor_size(t) == 0 || !nb_tensor_data(t)) {
        nb_tensor_unref(t);
        return PyArray_ZEROS(rank, dims, type, 0);
    }
    PyObject *cap = PyCapsule_New(t, "nabla.tensor", capsule_unref);
    if (!cap) {
        nb_tensor_unref(t);
        return NULL;
    }
    PyObject *arr = PyArray_New(&PyArray_Type, rank, dims, type, NULL, nb_tensor_data(t), 0,
                                NPY_ARRAY_CARRAY, NULL);
    if (!arr) {
        Py_DECREF(cap);
        return NULL;
    }
    if (PyArray_SetBaseObject((PyArrayObject *)arr, cap) < 0) { /* steals cap */
        Py_DECREF(arr);
        return NULL;
    }
    return arr;
}

/*** module functions ***/

static PyObject *feed_address(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *v;
    nb_dtype dt = NB_DTYPE_INVALID;
    if (!PyArg_ParseTuple(args, "O|O&:feed_address", &v, nbpy_dtype_conv, &dt)) return NULL;
    nb_tensor *t = nbpy_tensor_from_object(v, dt);
    if (!t) return NULL;
    PyObject *r = PyLong_FromVoidPtr(nb_tensor_data(t));
    nb_tensor_unref(t);
    return r;
}

static PyObject *roundtrip(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *v;
    nb_dtype dt = NB_DTYPE_INVALID;
    if (!PyArg_ParseTuple(args, "O|O&:roundtrip", &v, nbpy_dtype_conv, &dt)) return NULL;
    nb_tensor *t = nbpy_tensor_from_object(v, dt);
    if (!t) return NULL;
    nb_tensor *c = nb_tensor_copy(t);
    nb_tensor_unref(t);
    if (!c) return PyErr_NoMemory();
    return nbpy_array_from_tensor(c);
}

static PyObject *error_result(nb_error *err) {
    return nbpy_raise_status(err->code, err->message);
}

static PyObject *idx_load(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *path;
    if (!PyArg_ParseTuple(args, "O&:idx_load", PyUnicode_FSConverter, &path)) return NULL;
    nb_error err = {NB_OK, ""};
    nb_tensor *t;
    Py_BEGIN_ALLOW_THREADS
    t = nb_idx_load(PyBytes_AS_STRING(path), &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (!t) return error_result(&err);
    return nbpy_array_from_tensor(t);
}

static PyObject *npy_load(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *path;
    if (!PyArg_ParseTuple(args, "O&:npy_load", PyUnicode_FSConverter, &path)) return NULL;
    nb_error err = {NB_OK, ""};
    nb_tensor *t = nb_npy_load(PyBytes_AS_STRING(path), &err);
    Py_DECREF(path);
    if (!t) return error_result(&err);
    return nbpy_array_from_tensor(t);
}

static PyObject *npy_save(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *path, *v;
    if (!PyArg_ParseTuple(args, "O&O:npy_save", PyUnicode_FSConverter, &path, &v)) return NULL;
    nb_tensor *t = nbpy_tensor_from_object(v, NB_DTYPE_INVALID);
    if (!t) {
        Py_DECREF(path);
        return NULL;
    }
    nb_error err = {NB_OK, ""};
    nb_status st = nb_npy_save(PyBytes_AS_STRING(path), t, &err);
    nb_tensor_unref(t);
    Py_DECREF(path);
    if (st != NB_OK) return error_result(&err);
    Py_RETURN_NONE;
}

static PyObject *tensor_to_string(PyObject *self, PyObject *arg) {
    (void)self;
    nb_tensor *t = nbpy_tensor_from_object(arg, NB_DTYPE_INVALID);
    if (!t) return NULL;
    char *s = nb_tensor_to_string(t);
    nb_tensor_unref(t);
    if (!s) return PyErr_NoMemory();
    PyObject *r = PyUnicode_FromString(s);
    free(s);
    return r;
}

PyMethodDef nbpy_tensor_methods[] = {
    {"feed_address", feed_address, METH_VARARGS,
     "feed_address(value, dtype=None) -> int: the data address of the tensor a feed of value would "
     "use (equals value.ctypes.data when no copy is made)"},
    {"roundtrip", roundtrip, METH_VARARGS, "roundtrip(value, dtype=None): value -> nb_tensor -> ndarray"},
    {"idx_load", idx_load, METH_VARARGS, "idx_load(path) -> ndarray (nb_idx_load)"},
    {"npy_load", npy_load, METH_VARARGS, "npy_load(path) -> ndarray (nb_npy_load)"},
    {"npy_save", npy_save, METH_VARARGS, "npy_save(path, array) (nb_npy_save)"},
    {"tensor_to_string", tensor_to_string, METH_O, "numpy-style str() by nb_tensor_to_string"},
    {NULL, NULL, 0, NULL}};
