"""Elementwise math, comparisons, reductions and matmul under TF1's names.

Each function opens TF1's name scope for the op (so a converted Python value
becomes "<op>/y" as in TF1) and calls the libnabla constructor with the scope
as the op's verbatim name. Shapes, dtypes and their errors are libnabla's.
"""
import numpy as np

from . import _nabla as _C
from . import dtypes as _dtypes
from .framework import (Tensor, convert_to_tensor, get_default_graph, _name_scope_ctx,
                        _graph_for, _py_int)


def _graph(*xs):
    return _graph_for(*xs)


def _tensor(x, g, dtype=None, name=None):
    if isinstance(x, Tensor):
        return x
    conv = getattr(x, "_as_tensor", None)
    if conv is not None:
        return conv()
    return convert_to_tensor(x, dtype=dtype, name=name, graph=g)


def _pair(x, y, g):
    """TF1's operand conversion: a non-tensor takes the other operand's dtype."""
    xt = isinstance(x, Tensor) or hasattr(x, "_as_tensor")
    yt = isinstance(y, Tensor) or hasattr(y, "_as_tensor")
    if xt:
        x = _tensor(x, g)
        y = _tensor(y, g, dtype=None if yt else x.dtype, name="y")
    elif yt:
        y = _tensor(y, g)
        x = _tensor(x, g, dtype=y.dtype, name="x")
    else:
        x = _tensor(x, g, name="x")
        y = _tensor(y, g, dtype=x.dtype, name="y")
    return x, y


def _binary(cfunc, default):
    def op(x, y, name=None):
        g = _graph(x, y)
        with _name_scope_ctx(g, name or default) as scope:
            x, y = _pair(x, y, g)
            return cfunc(g, x, y, scope)
    op.__name__ = default
    return op


def _unary(cfunc, default):
    def op(x, name=None):
        g = _graph(x)
        with _name_scope_ctx(g, name or default) as scope:
            x = _tensor(x, g, name="x")
            return cfunc(g, x, scope)
    op.__name__ = default
    return op


add = _binary(_C.add, "Add")
subtract = _binary(_C.subtract, "Sub")
multiply = _binary(_C.multiply, "Mul")
_real_div = _binary(_C.divide, "RealDiv")
floordiv = _binary(_C.floor_div, "floordiv")
floor_div = _binary(_C.floor_div, "FloorDiv")
floormod = _binary(_C.mod, "FloorMod")
mod = floormod
pow = _binary(_C.pow, "Pow")  # noqa: A001
maximum = _binary(_C.maximum, "Maximum")
minimum = _binary(_C.minimum, "Minimum")
squared_difference = _binary(_C.squared_difference, "SquaredDifference")
equal = _binary(_C.equal, "Equal")
not_equal = _binary(_C.not_equal, "NotEqual")
less = _binary(_C.less, "Less")
less_equal = _binary(_C.less_equal, "LessEqual")
greater = _binary(_C.greater, "Greater")
greater_equal = _binary(_C.greater_equal, "GreaterEqual")
logical_and = _binary(_C.logical_and, "LogicalAnd")
logical_or = _binary(_C.logical_or, "LogicalOr")

negative = _unary(_C.negative, "Neg")
neg = negative
abs = _unary(_C.abs, "Abs")  # noqa: A001
sign = _unary(_C.sign, "Sign")
square = _unary(_C.square, "Square")
sqrt = _unary(_C.sqrt, "Sqrt")
rsqrt = _unary(_C.rsqrt, "Rsqrt")
exp = _unary(_C.exp, "Exp")
log = _unary(_C.log, "Log")
log1p = _unary(_C.log1p, "Log1p")
reciprocal = _unary(_C.reciprocal, "Reciprocal")
sigmoid = _unary(_C.sigmoid, "Sigmoid")
tanh = _unary(_C.tanh, "Tanh")
logical_not = _unary(_C.logical_not, "LogicalNot")


def truediv(x, y, name=None):
    """x / y (TF1's truediv: integers are cast to float64 first, as TF1 does)."""
    g = _graph(x, y)
    with _name_scope_ctx(g, name or "truediv") as scope:
        x, y = _pair(x, y, g)
        if x.dtype.is_integer:
            x = _C.cast(g, x, _dtypes.float64.as_datatype_enum, "Cast")
            y = _C.cast(g, y, _dtypes.float64.as_datatype_enum, "Cast_1")
        return _C.divide(g, x, y, scope)


def divide(x, y, name=None):
    """tf.divide(x, y) = x / y (op RealDiv "truediv")."""
    return truediv(x, y, name=name)


def div(x, y, name=None):
    """tf.div: Python 2 division (floor for integers, RealDiv for floats)."""
    g = _graph(x, y)
    with _name_scope_ctx(g, name or "div") as scope:
        x, y = _pair(x, y, g)
        if x.dtype.is_integer:
            return _C.floor_div(g, x, y, scope)
        return _C.divide(g, x, y, scope)


realdiv = _real_div


def logical_xor(x, y, name="LogicalXor"):
    g = _graph(x, y)
    with _name_scope_ctx(g, name or "LogicalXor") as scope:
        x, y = _pair(x, y, g)
        return _C.logical_and(g, _C.logical_or(g, x, y, None),
                              _C.logical_not(g, _C.logical_and(g, x, y, None), None), scope)


def add_n(inputs, name=None):
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype "
                         "and shape")
    g = _graph(*inputs)
    ts = [_tensor(x, g) for x in inputs]
    if len(ts) == 1 and name is None:
        return ts[0]
    return _C.add_n(g, ts, name or "AddN")


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    return add_n(inputs, name=name)


def scalar_mul(scalar, x, name=None):
    return multiply(scalar, x, name=name or "mul")


def cast(x, dtype, name=None):
    """tf.cast(x, dtype): op Cast (no op when the dtype already matches, as TF1)."""
    d = _dtypes.supported(dtype)
    if not isinstance(x, Tensor) and not hasattr(x, "_as_tensor"):
        g = get_default_graph()
        with _name_scope_ctx(g, name or "Cast") as scope:
            x = _tensor(x, g, name="x")
            if x.dtype == d:
                return x
            return _C.cast(g, x, d.as_datatype_enum, scope)
    x = _tensor(x, _graph(x))
    if x.dtype == d:
        return x
    return _C.cast(x.graph, x, d.as_datatype_enum, name or "Cast")


def to_float(x, name="ToFloat"):
    return cast(x, _dtypes.float32, name=name)


def to_double(x, name="ToDouble"):
    return cast(x, _dtypes.float64, name=name)


def to_int32(x, name="ToInt32"):
    return cast(x, _dtypes.int32, name=name)


def to_int64(x, name="ToInt64"):
    return cast(x, _dtypes.int64, name=name)


def saturate_cast(value, dtype, name=None):
    return cast(value, dtype, name=name)


def round(x, name=None):  # noqa: A001
    """tf.round: half to even (as TF1's Round), built from Floor-free ops of libnabla."""
    g = _graph(x)
    with _name_scope_ctx(g, name or "Round") as scope:
        x = _tensor(x, g, name="x")
        if x.dtype.is_integer:
            return _C.identity(g, x, scope)
        # r = floor(x + 0.5) via floordiv, then fix exact halves to even.
        half = _tensor(0.5, g, dtype=x.dtype, name="half")
        one = _tensor(1.0, g, dtype=x.dtype, name="one")
        two = _tensor(2.0, g, dtype=x.dtype, name="two")
        fl = _C.floor_div(g, _C.add(g, x, half, None), one, None)
        is_half = _C.equal(g, _C.subtract(g, fl, x, None), half, None)
        odd = _C.not_equal(g, _C.mod(g, fl, two, None), _tensor(0.0, g, dtype=x.dtype,
                                                                name="zero"), None)
        fix = _C.logical_and(g, is_half, odd, None)
        return _C.where(g, fix, _C.subtract(g, fl, one, None), fl, scope)


def floor(x, name=None):
    g = _graph(x)
    with _name_scope_ctx(g, name or "Floor") as scope:
        x = _tensor(x, g, name="x")
        return _C.floor_div(g, x, _tensor(1, g, dtype=x.dtype, name="one"), scope)


def ceil(x, name=None):
    g = _graph(x)
    with _name_scope_ctx(g, name or "Ceil") as scope:
        x = _tensor(x, g, name="x")
        one = _tensor(1, g, dtype=x.dtype, name="one")
        return _C.negative(g, _C.floor_div(g, _C.negative(g, x, None), one, None), scope)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    g = _graph(t)
    with _name_scope_ctx(g, name or "clip_by_value") as scope:
        t = _tensor(t, g, name="t")
        lo = _tensor(clip_value_min, g, dtype=t.dtype, name="clip_value_min")
        hi = _tensor(clip_value_max, g, dtype=t.dtype, name="clip_value_max")
        return _C.maximum(g, _C.minimum(g, t, hi, "Minimum"), lo, scope)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, name=None):
    """tf.matmul(a, b, transpose_a, transpose_b): op MatMul (BatchMatMulV2 for rank > 2)."""
    g = _graph(a, b)
    with _name_scope_ctx(g, name or "MatMul") as scope:
        a, b = _pair(a, b, g)
        return _C.matmul(g, a, b, bool(transpose_a or adjoint_a),
                         bool(transpose_b or adjoint_b), scope)


def tensordot(a, b, axes, name=None):
    raise NotImplementedError("nabla has no tensordot yet")


# ---------------------------------------------------------------- reductions

def _axes(axis, reduction_indices, keepdims, keep_dims):
    if axis is None:
        axis = reduction_indices
    if keepdims is None:
        keepdims = keep_dims
    keepdims = bool(keepdims) if keepdims is not None else False
    return axis, keepdims


def _reduction(cfunc, default, cfunc_t=None):
    def op(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
           keep_dims=None):
        axis, keepdims = _axes(axis, reduction_indices, keepdims, keep_dims)
        g = _graph(input_tensor, axis)
        x = _tensor(input_tensor, g, name="input_tensor")
        if isinstance(axis, Tensor) or hasattr(axis, "_as_tensor"):
            if cfunc_t is None:
                raise TypeError("%s takes its axis as Python ints in nabla" % default)
            return cfunc_t(g, x, _tensor(axis, g), keepdims, name or default)
        if axis is not None:
            if isinstance(axis, (int, np.integer)):
                axis = [int(axis)]
            else:
                axis = [int(a) for a in np.asarray(axis).reshape(-1)]
        return cfunc(g, x, axis, keepdims, name or default)
    op.__name__ = default
    return op


reduce_sum = _reduction(_C.reduce_sum, "Sum", getattr(_C, "reduce_sum_t", None))
reduce_mean = _reduction(_C.reduce_mean, "Mean", getattr(_C, "reduce_mean_t", None))
reduce_prod = _reduction(_C.reduce_prod, "Prod")
reduce_max = _reduction(_C.reduce_max, "Max")
reduce_min = _reduction(_C.reduce_min, "Min")


def reduce_any(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    if hasattr(_C, "reduce_any"):
        return _reduction(_C.reduce_any, "Any")(input_tensor, axis, keepdims, name,
                                                reduction_indices, keep_dims)
    x = cast(input_tensor, _dtypes.int32)
    r = reduce_max(x, axis, keepdims, None, reduction_indices, keep_dims)
    return cast(r, _dtypes.bool, name=name or "Any")


def reduce_all(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    if hasattr(_C, "reduce_all"):
        return _reduction(_C.reduce_all, "All")(input_tensor, axis, keepdims, name,
                                                reduction_indices, keep_dims)
    x = cast(input_tensor, _dtypes.int32)
    r = reduce_min(x, axis, keepdims, None, reduction_indices, keep_dims)
    return cast(r, _dtypes.bool, name=name or "All")


def reduce_logsumexp(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
                     keep_dims=None):
    axis, keepdims = _axes(axis, reduction_indices, keepdims, keep_dims)
    g = _graph(input_tensor)
    with _name_scope_ctx(g, name or "ReduceLogSumExp"):
        x = _tensor(input_tensor, g)
        m = reduce_max(x, axis, True)
        from . import array_ops
        ms = array_ops.stop_gradient(m)
        s = reduce_sum(exp(subtract(x, ms)), axis, True)
        r = add(log(s), ms)
        if not keepdims:
            r = array_ops.squeeze(r, axis=axis) if axis is not None else \
                array_ops.reshape(r, [])
        return r


def _argfunc(cfunc, default):
    def op(input, axis=None, name=None, dimension=None, output_type=_dtypes.int64):
        if axis is None:
            axis = dimension
        if axis is None:
            axis = 0
        ot = _dtypes.as_dtype(output_type if output_type is not None else _dtypes.int64)
        g = _graph(input)
        x = _tensor(input, g, name="input")
        # the op's output_type attr, as TF1 (int32 or int64; another raises TypeError)
        return cfunc(g, x, _py_int(axis, default, "axis"), ot.as_datatype_enum, name or default)
    op.__name__ = default
    return op


argmax = _argfunc(_C.argmax_ex, "ArgMax")
argmin = _argfunc(_C.argmin_ex, "ArgMin")
arg_max = argmax
arg_min = argmin


def count_nonzero(input_tensor, axis=None, keepdims=None, dtype=_dtypes.int64, name=None,
                  reduction_indices=None, keep_dims=None):
    g = _graph(input_tensor)
    with _name_scope_ctx(g, name or "count_nonzero"):
        x = _tensor(input_tensor, g)
        nz = not_equal(x, _tensor(0, g, dtype=x.dtype, name="zeros"))
        return reduce_sum(cast(nz, dtype), axis, keepdims, None, reduction_indices, keep_dims)


def _c_unary_or(cname, default, fallback):
    f = getattr(_C, cname, None)
    return _unary(f, default) if f is not None else fallback


floor = _c_unary_or("floor", "Floor", floor)
ceil = _c_unary_or("ceil", "Ceil", ceil)
round = _c_unary_or("round", "Round", round)  # noqa: A001


def _missing(name):
    def f(*a, **k):
        raise NotImplementedError("this nabla build has no %s" % name)
    f.__name__ = name
    return f


sin = _c_unary_or("sin", "Sin", _missing("sin"))
cos = _c_unary_or("cos", "Cos", _missing("cos"))
tan = _c_unary_or("tan", "Tan", _missing("tan"))
asin = _c_unary_or("asin", "Asin", _missing("asin"))
acos = _c_unary_or("acos", "Acos", _missing("acos"))
atan = _c_unary_or("atan", "Atan", _missing("atan"))
sinh = _c_unary_or("sinh", "Sinh", _missing("sinh"))
cosh = _c_unary_or("cosh", "Cosh", _missing("cosh"))
erf = _c_unary_or("erf", "Erf", _missing("erf"))
expm1 = _c_unary_or("expm1", "Expm1", _missing("expm1"))
is_nan = _c_unary_or("is_nan", "IsNan", _missing("is_nan"))
is_inf = _c_unary_or("is_inf", "IsInf", _missing("is_inf"))
is_finite = _c_unary_or("is_finite", "IsFinite", _missing("is_finite"))


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """tf.cumsum (op Cumsum)."""
    g = _graph(x)
    return _C.cumsum(g, _tensor(x, g), _py_int(axis, "cumsum", "axis"), bool(exclusive),
                     bool(reverse),
                     name or "Cumsum")


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """tf.cumprod / tf.math.cumprod (op Cumprod): products along axis, the empty
    product (exclusive) being 1."""
    g = _graph(x)
    return _C.cumprod(g, _tensor(x, g), _py_int(axis, "cumprod", "axis"), bool(exclusive),
                      bool(reverse), name or "Cumprod")
