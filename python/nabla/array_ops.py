"""Array ops (reshape, concat, slicing, ...) and value sources (placeholder, zeros,
random ops) under TF1's names and argument names."""
import builtins as _b

import numpy as np

from . import _nabla as _C
from . import dtypes as _dtypes
from .framework import (Tensor, Operation, convert_to_tensor, get_default_graph,
                        _name_scope_ctx, _graph_for, _shape_arg, TensorShape, _op_of, _py_int)
from .math_ops import _tensor, cast

newaxis = None


def _g(*xs):
    return _graph_for(*xs)


def _ints(v):
    if isinstance(v, (int, np.integer)):
        return [int(v)]
    return [int(d) for d in np.asarray(v).reshape(-1)]


def _is_tensor(x):
    return isinstance(x, Tensor) or hasattr(x, "_as_tensor")


# ---------------------------------------------------------------- sources

def placeholder(dtype, shape=None, name=None):
    """tf.placeholder(dtype, shape=None, name=None): shape None is an unknown rank;
    lists may hold None dims."""
    d = _dtypes.supported(dtype)
    return _C.placeholder(get_default_graph(), d.as_datatype_enum, _shape_arg(shape),
                          name or "Placeholder")


def placeholder_with_default(input, shape, name=None):
    """tf.placeholder_with_default(input, shape): the value of `input` unless fed."""
    g = get_default_graph()
    x = _tensor(input, g, name="input")
    f = getattr(_C, "placeholder_with_default", None)
    if f is not None:
        return f(g, x, _shape_arg(shape), name or "PlaceholderWithDefault")
    return _C.identity(g, x, name or "PlaceholderWithDefault")


def _dims_tensor(shape, g):
    return _tensor(shape, g, dtype=_dtypes.int32, name="shape")


def zeros(shape, dtype=_dtypes.float32, name=None):
    d = _dtypes.supported(dtype)
    g = get_default_graph()
    if _is_tensor(shape):
        return fill(shape, _tensor(0, g, dtype=d), name=name or "zeros")
    return _C.zeros(g, d.as_datatype_enum, _shape_arg(shape), name or "zeros")


def ones(shape, dtype=_dtypes.float32, name=None):
    d = _dtypes.supported(dtype)
    g = get_default_graph()
    if _is_tensor(shape):
        return fill(shape, _tensor(1, g, dtype=d), name=name or "ones")
    return _C.ones(g, d.as_datatype_enum, _shape_arg(shape), name or "ones")


def fill(dims, value, name=None):
    g = _g(dims, value)
    with _name_scope_ctx(g, name or "Fill") as scope:
        dt = _tensor(dims, g, dtype=_dtypes.int32, name="dims")
        v = _tensor(value, g, name="value")
        return _C.fill(g, dt, v, scope)


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    g = _g(tensor)
    x = _tensor(tensor, g)
    r = _C.zeros_like(g, x, name or "zeros_like")
    return r if dtype is None else cast(r, dtype)


def ones_like(tensor, dtype=None, name=None, optimize=True):
    g = _g(tensor)
    x = _tensor(tensor, g)
    r = _C.ones_like(g, x, name or "ones_like")
    return r if dtype is None else cast(r, dtype)


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001
    """tf.range(start, limit=None, delta=1): like Python's range (int32 for ints)."""
    if limit is None:
        start, limit = 0, start
    g = _g(start, limit, delta)
    with _name_scope_ctx(g, name or "range") as scope:
        vals = [start, limit, delta]
        if dtype is not None:
            d = _dtypes.supported(dtype)
        else:
            d = None
            for v in vals:
                if _is_tensor(v):
                    d = _tensor(v, g).dtype
                    break
            if d is None:
                d = _dtypes.float32 if any(isinstance(v, float) for v in vals) else \
                    _dtypes.int32
        ts = [cast(_tensor(v, g, dtype=None if _is_tensor(v) else d, name=n), d)
              for v, n in zip(vals, ("start", "limit", "delta"))]
        return _C.range(g, ts[0], ts[1], ts[2], scope)


def linspace(start, stop, num, name=None):
    """tf.linspace(start, stop, num): num evenly spaced values (Python numbers)."""
    g = get_default_graph()
    f = getattr(_C, "linspace", None)
    if f is not None:
        with _name_scope_ctx(g, name or "LinSpace") as scope:
            st = _tensor(start, g, dtype=None if _is_tensor(start) else _dtypes.float32,
                         name="start")
            sp = _tensor(stop, g, dtype=st.dtype, name="stop")
            n = _tensor(num, g, dtype=None if _is_tensor(num) else _dtypes.int32, name="num")
            return f(g, st, sp, n, scope)
    if any(_is_tensor(v) for v in (start, stop, num)):
        raise TypeError("nabla's linspace takes Python numbers for start, stop and num")
    arr = np.linspace(float(start), float(stop), int(num)).astype(np.float32)
    return _C.constant(g, arr, name=name or "LinSpace")


lin_space = linspace


def _seed(seed):
    return None if seed is None else int(seed)


def _py_float(value, func, arg):
    if _is_tensor(value):
        raise TypeError("nabla's %s takes %s as a Python number, not a Tensor "
                        "(see docs/tf1_arguments.md)" % (func, arg))
    return float(value)


def _rand_shape(shape, func):
    if _is_tensor(shape):
        raise TypeError("nabla's %s takes shape as a Python list, not a Tensor "
                        "(see docs/tf1_arguments.md)" % func)
    return _shape_arg(shape)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=_dtypes.float32, seed=None, name=None):
    d = _dtypes.supported(dtype)
    return _C.random_normal(get_default_graph(), d.as_datatype_enum,
                            _rand_shape(shape, "random_normal"),
                            _py_float(mean, "random_normal", "mean"),
                            _py_float(stddev, "random_normal", "stddev"), _seed(seed),
                            name or "random_normal")


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dtypes.float32, seed=None, name=None):
    d = _dtypes.supported(dtype)
    return _C.truncated_normal(get_default_graph(), d.as_datatype_enum,
                               _rand_shape(shape, "truncated_normal"),
                               _py_float(mean, "truncated_normal", "mean"),
                               _py_float(stddev, "truncated_normal", "stddev"), _seed(seed),
                               name or "truncated_normal")


def random_uniform(shape, minval=0, maxval=None, dtype=_dtypes.float32, seed=None, name=None):
    d = _dtypes.supported(dtype)
    if maxval is None:
        if d.is_integer:
            raise ValueError("Must specify maxval for integer dtype %r" % d)
        maxval = 1.0
    return _C.random_uniform(get_default_graph(), d.as_datatype_enum,
                             _rand_shape(shape, "random_uniform"),
                             _py_float(minval, "random_uniform", "minval"),
                             _py_float(maxval, "random_uniform", "maxval"), _seed(seed),
                             name or "random_uniform")


# ---------------------------------------------------------------- shape ops

def identity(input, name=None):
    g = _g(input)
    return _C.identity(g, _tensor(input, g), name or "Identity")


def stop_gradient(input, name=None):
    g = _g(input)
    return _C.stop_gradient(g, _tensor(input, g), name or "StopGradient")


def reshape(tensor, shape, name=None):
    """tf.reshape(tensor, shape): one dim may be -1."""
    g = _g(tensor, shape)
    x = _tensor(tensor, g)
    if _is_tensor(shape) or (isinstance(shape, (list, _b.tuple)) and
                             any(_is_tensor(s) for s in shape)):
        with _name_scope_ctx(g, name or "Reshape") as scope:
            st = _tensor(shape, g, dtype=_dtypes.int32, name="shape")
            return _C.reshape_t(g, x, st, scope)
    dims = [-1 if d is None else int(d) for d in (TensorShape(shape).as_list()
                                                   if isinstance(shape, TensorShape)
                                                   else _ints(shape) if
                                                   not isinstance(shape, (list, _b.tuple))
                                                   else [None if s is None else int(s)
                                                         for s in shape])]
    return _C.reshape(g, x, dims, name or "Reshape")


def transpose(a, perm=None, name="transpose", conjugate=False):
    g = _g(a)
    x = _tensor(a, g)
    return _C.transpose(g, x, None if perm is None else _ints(perm), name or "transpose")


def expand_dims(input, axis=None, name=None, dim=None):
    if axis is None:
        axis = dim
    if axis is None:
        raise ValueError("Must specify an axis argument to tf.expand_dims()")
    g = _g(input)
    return _C.expand_dims(g, _tensor(input, g), int(axis), name or "ExpandDims")


def squeeze(input, axis=None, name=None, squeeze_dims=None):
    if axis is None:
        axis = squeeze_dims
    g = _g(input)
    axes = [] if axis is None else _ints(axis)
    return _C.squeeze(g, _tensor(input, g), axes, name or "Squeeze")


def concat(values, axis, name="concat"):
    """tf.concat(values, axis) (TF1 >= 1.0 argument order)."""
    if _is_tensor(values) and not isinstance(values, (list, _b.tuple)):
        values = [values]
    g = _g(*values)
    xs = [_tensor(v, g) for v in values]
    if len(xs) == 1:
        return identity(xs[0], name=name)
    return _C.concat(g, xs, _py_int(axis, "concat", "axis"), name or "concat")


def stack(values, axis=0, name="stack"):
    g = _g(*values)
    xs = _convert_same(values, g)
    return _C.stack(g, xs, int(axis), name or "stack")


pack = stack


def _convert_same(values, g):
    dt = None
    for v in values:
        if _is_tensor(v):
            dt = _tensor(v, g).dtype
            break
    return [_tensor(v, g, dtype=None if _is_tensor(v) else dt) for v in values]


def _pack_nested(value, dtype, name):
    g = get_default_graph()

    def rec(v):
        if isinstance(v, (list, _b.tuple)):
            return stack([rec(w) for w in v])
        return _tensor(v, g, dtype=dtype)
    with _name_scope_ctx(g, name):
        return rec(value)


def unstack(value, num=None, axis=0, name="unstack"):
    """tf.unstack: num slices along axis (StridedSlice with a shrink mask each)."""
    g = _g(value)
    x = _tensor(value, g)
    shape = x.get_shape()
    if num is None:
        if shape.ndims is None or shape[axis].value is None:
            raise ValueError("Cannot infer num from shape %s" % shape)
        num = shape[axis].value
    f = getattr(_C, "unstack", None)
    if f is not None:
        return list(f(g, x, int(num), int(axis), name or "unstack"))
    rank = shape.ndims
    if axis < 0:
        if rank is None:
            raise ValueError("unstack with a negative axis needs a known rank")
        axis += rank
    with _name_scope_ctx(g, name or "unstack"):
        out = []
        for i in _b.range(num):
            key = (_b.slice(None),) * axis + (i,)
            out.append(_slice_helper(x, key))
        return out


unpack = unstack


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """tf.split(value, num_or_size_splits, axis): pieces taken by StridedSlice."""
    g = _g(value)
    x = _tensor(value, g)
    if isinstance(num_or_size_splits, (int, np.integer)) and getattr(_C, "split", None):
        return list(_C.split(g, x, int(num_or_size_splits), int(axis), name or "split"))
    if not isinstance(num_or_size_splits, (int, np.integer)) and getattr(_C, "split_v", None):
        return list(_C.split_v(g, x, _ints(num_or_size_splits), int(axis), name or "split"))
    shape = x.get_shape()
    if shape.ndims is None:
        raise ValueError("split needs a known rank")
    if axis < 0:
        axis += shape.ndims
    n = shape[axis].value
    if isinstance(num_or_size_splits, (int, np.integer)):
        k = int(num_or_size_splits)
        if n is None or n % k:
            raise ValueError("Dimension %d cannot be split into %d equal pieces (size %s)"
                             % (axis, k, n))
        sizes = [n // k] * k
    else:
        sizes = _ints(num_or_size_splits)
        if -1 in sizes and n is not None:
            sizes[sizes.index(-1)] = n - (_b.sum(sizes) + 1)
    with _name_scope_ctx(g, name or "split"):
        out, b = [], 0
        for s in sizes:
            key = (_b.slice(None),) * axis + (_b.slice(b, b + s),)
            out.append(_slice_helper(x, key))
            b += s
        return out


def slice(input_, begin, size, name=None):  # noqa: A001
    g = _g(input_)
    b, s = _ints(begin), _ints(size)
    return _C.slice(g, _tensor(input_, g), b, s, name or "Slice")


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    g = _g(input_)
    x = _tensor(input_, g)
    if any(_is_tensor(v) for v in (begin, end, strides)):
        with _name_scope_ctx(g, name or "StridedSlice") as scope:
            bt = _tensor(begin, g, name="begin")
            et = _tensor(end, g, dtype=bt.dtype, name="end")
            st = _tensor(strides if strides is not None else [1] * len(_ints(begin)), g,
                         dtype=bt.dtype, name="strides")
            return _C.strided_slice(g, x, bt, et, st, begin_mask, end_mask, ellipsis_mask,
                                      new_axis_mask, shrink_axis_mask, scope)
    return _C.strided_slice(g, x, _ints(begin), _ints(end),
                            None if strides is None else _ints(strides), begin_mask,
                            end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask,
                            name or "StridedSlice")


def _slice_helper(tensor, slice_spec):
    """Python indexing -> TF1's StridedSlice spec (begin/end/strides + masks)."""
    if not isinstance(slice_spec, _b.tuple):
        slice_spec = (slice_spec,)
    begin, end, strides = [], [], []
    bm = em = elm = nam = sam = 0
    dynamic = False
    for i, s in enumerate(slice_spec):
        bit = 1 << i
        if isinstance(s, _b.slice):
            for v in (s.start, s.stop, s.step):
                if _is_tensor(v):
                    dynamic = True
            begin.append(0 if s.start is None else s.start)
            end.append(0 if s.stop is None else s.stop)
            strides.append(1 if s.step is None else s.step)
            if s.start is None:
                bm |= bit
            if s.stop is None:
                em |= bit
        elif s is Ellipsis:
            begin.append(0)
            end.append(0)
            strides.append(1)
            elm |= bit
        elif s is None:
            begin.append(0)
            end.append(0)
            strides.append(1)
            nam |= bit
        elif isinstance(s, (bool, np.bool_)):
            raise TypeError("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis "
                            "(`None`) and scalar tf.int32/tf.int64 tensors are valid indices, "
                            "got %r" % (s,))
        elif isinstance(s, (int, np.integer)):
            begin.append(int(s))
            end.append(int(s) + 1)
            strides.append(1)
            sam |= bit
        elif _is_tensor(s):
            dynamic = True
            begin.append(s)
            end.append(s + 1)
            strides.append(1)
            sam |= bit
        else:
            raise TypeError("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis "
                            "(`None`) and scalar tf.int32/tf.int64 tensors are valid indices, "
                            "got %r" % (s,))
    g = _g(tensor)
    x = _tensor(tensor, g)
    if dynamic:
        with _name_scope_ctx(g, "strided_slice") as scope:
            bt = stack([_idx(v, g) for v in begin])
            et = stack([_idx(v, g) for v in end])
            st = stack([_idx(v, g) for v in strides])
            return _C.strided_slice(g, x, bt, et, st, bm, em, elm, nam, sam, scope)
    return _C.strided_slice(g, x, begin, end, strides, bm, em, elm, nam, sam, "strided_slice")


def _idx(v, g):
    if _is_tensor(v):
        return cast(_tensor(v, g), _dtypes.int32)
    return _tensor(int(v), g, dtype=_dtypes.int32)


def gather(params, indices, validate_indices=None, name=None, axis=0):
    g = _g(params, indices)
    with _name_scope_ctx(g, name or "GatherV2") as scope:
        p = _tensor(params, g, name="params")
        i = _tensor(indices, g, name="indices")
        return _C.gather(g, p, i, _py_int(axis, "gather", "axis"), scope)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    g = _g(data, segment_ids, num_segments)
    with _name_scope_ctx(g, name or "UnsortedSegmentSum") as scope:
        d = _tensor(data, g, name="data")
        s = _tensor(segment_ids, g, name="segment_ids")
        n = _tensor(num_segments, g, dtype=None if _is_tensor(num_segments) else s.dtype,
                    name="num_segments")
        return _C.unsorted_segment_sum(g, d, s, n, scope)


def tile(input, multiples, name=None):
    g = _g(input)
    return _C.tile(g, _tensor(input, g), _ints(multiples), name or "Tile")


_PAD_MODES = {"CONSTANT": 0, "REFLECT": 1, "SYMMETRIC": 2}


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """tf.pad: op Pad (zeros), PadV2 (constant_values != 0) or MirrorPad (REFLECT,
    SYMMETRIC), as TF1 chooses them."""
    m = _PAD_MODES.get(str(mode).upper())
    if m is None:
        raise ValueError("Unknown padding mode: %s" % (mode,))
    if _is_tensor(constant_values) or _is_tensor(paddings):
        raise TypeError("nabla's pad takes paddings and constant_values as Python values, "
                        "not Tensors (see docs/tf1_arguments.md)")
    g = _g(tensor)
    pp = np.asarray(paddings, dtype=np.int64).reshape(-1, 2).tolist()
    cv = float(constant_values)
    if m == 0 and cv == 0:
        return _C.pad(g, _tensor(tensor, g), pp, name or "Pad")
    return _C.pad(g, _tensor(tensor, g), pp, name, m, 0.0 if m else cv)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    if _is_tensor(axis) or _is_tensor(depth):
        raise TypeError("nabla's one_hot takes depth and axis as Python ints, not Tensors "
                        "(see docs/tf1_arguments.md)")
    g = _g(indices)
    x = _tensor(indices, g)
    d = _dtypes.supported(dtype) if dtype is not None else _dtypes.float32
    return _C.one_hot(g, x, int(depth), 1.0 if on_value is None else float(on_value),
                      0.0 if off_value is None else float(off_value), d.as_datatype_enum,
                      name or "one_hot", -1 if axis is None else int(axis))


def shape(input, name=None, out_type=_dtypes.int32):
    g = _g(input)
    r = _C.shape_of(g, _tensor(input, g), name or "Shape")
    return r if _dtypes.as_dtype(out_type) == _dtypes.int32 else cast(r, out_type)


def size(input, name=None, out_type=_dtypes.int32):
    g = _g(input)
    return _C.size(g, _tensor(input, g), name or "Size")


def rank(input, name=None):
    g = _g(input)
    return _C.rank(g, _tensor(input, g), name or "Rank")


def _select(builder, default, condition, x, y, name):
    """where / where_v2: Where(condition) alone, else builder(cond, x, y) in a scope."""
    if x is None and y is None:
        g = _g(condition)
        return _C.where_true(g, _tensor(condition, g), name or "Where")
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    g = _g(condition, x, y)
    with _name_scope_ctx(g, name or default) as scope:
        c = _tensor(condition, g, name="condition")
        from .math_ops import _pair
        xt, yt = _pair(x, y, g)
        return builder(g, c, xt, yt, scope)


def where(condition, x=None, y=None, name=None):
    """tf.where: TF1's Select (x and y of one shape; no broadcasting)."""
    return _select(_C.where, "Select", condition, x, y, name)


def where_v2(condition, x=None, y=None, name=None):
    """tf.where_v2: like where, but condition, x and y broadcast (op SelectV2)."""
    return _select(_C.where_v2, "SelectV2", condition, x, y, name)


def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    raise NotImplementedError("nabla has no boolean_mask (its output shape depends on values)")


def no_op(name=None):
    return _C.no_op(get_default_graph(), name or "NoOp").op


def group(*inputs, **kwargs):
    """tf.group(*inputs, name=None): a NoOp that runs after every input."""
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError("Unknown keyword arguments: " + ", ".join(kwargs))
    flat = []
    for i in inputs:
        if isinstance(i, (list, _b.tuple, set)):
            flat.extend(i)
        elif i is not None:
            flat.append(i)
    g = _g(*flat) if flat else get_default_graph()
    ops = [_op_of(i) for i in flat if i is not None]
    return _C.group(g, ops, name or "group_deps").op


def tuple(tensors, name=None, control_inputs=None):  # noqa: A001
    g = _g(*tensors)
    with _name_scope_ctx(g, name or "tuple"):
        gate = group(*[t for t in tensors if t is not None])
        out = []
        from .framework import control_dependencies
        with g.control_dependencies([gate]):
            for t in tensors:
                out.append(None if t is None else identity(t))
        return out


def Print(input_, data, message=None, first_n=None, summarize=None, name=None):
    """tf.Print: returns input_; logs `data` to stderr when run (op Print when
    libnabla has it, else an Identity and no log)."""
    g = _g(input_)
    x = _tensor(input_, g)
    f = getattr(_C, "print_", None)
    if f is not None:
        return f(g, x, [_tensor(d, g) for d in data], message or "",
                 -1 if first_n is None else int(first_n),
                 3 if summarize is None else int(summarize), name or "Print")
    return _C.identity(g, x, name or "Print")


def check_numerics(tensor, message, name=None):
    g = _g(tensor)
    return _C.check_numerics(g, _tensor(tensor, g), message, name or "CheckNumerics")


def broadcast_to(input, shape, name=None):
    g = _g(input)
    x = _tensor(input, g)
    from .math_ops import add
    return add(x, zeros(shape, dtype=x.dtype), name=name or "BroadcastTo")


def reverse(tensor, axis, name=None):
    """tf.reverse(tensor, axis) (op ReverseV2)."""
    g = _g(tensor)
    return _C.reverse(g, _tensor(tensor, g), _ints(axis), name or "ReverseV2")


reverse_v2 = reverse


def matrix_diag(diagonal, name="MatrixDiag"):
    g = _g(diagonal)
    return _C.matrix_diag(g, _tensor(diagonal, g), name or "MatrixDiag")


def matrix_diag_part(input, name="matrix_diag_part"):
    g = _g(input)
    return _C.matrix_diag_part(g, _tensor(input, g), name or "matrix_diag_part")


def matrix_set_diag(input, diagonal, name="set_diag"):
    g = _g(input, diagonal)
    x = _tensor(input, g)
    return _C.matrix_set_diag(g, x, _tensor(diagonal, g, dtype=x.dtype), name or "set_diag")


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dtypes.float32, name=None):
    """tf.eye: an identity matrix (matrix_diag of ones; square only)."""
    if num_columns not in (None, num_rows) or batch_shape:
        raise NotImplementedError("nabla's eye makes square matrices without batch_shape")
    g = get_default_graph()
    with _name_scope_ctx(g, name or "eye") as scope:
        return _C.matrix_diag(g, ones([int(num_rows)], dtype), scope)


def trace(x, name=None):
    from .math_ops import reduce_sum
    g = _g(x)
    with _name_scope_ctx(g, name or "Trace") as scope:
        return reduce_sum(matrix_diag_part(x), axis=-1, name=scope)


def gather_nd(params, indices, name=None):
    g = _g(params, indices)
    with _name_scope_ctx(g, name or "GatherNd") as scope:
        return _C.gather_nd(g, _tensor(params, g, name="params"),
                            _tensor(indices, g, name="indices"), scope)


def scatter_nd(indices, updates, shape, name=None):
    g = _g(indices, updates)
    with _name_scope_ctx(g, name or "ScatterNd") as scope:
        return _C.scatter_nd(g, _tensor(indices, g, name="indices"),
                             _tensor(updates, g, name="updates"), _ints(shape), scope)
