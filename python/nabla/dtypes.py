"""TF1's dtype objects (tf.float32, ...) over nabla's dtype numbers.

nabla's nb_dtype values are TensorFlow's DataType enum numbers, so a DType is
just a name for one of them plus its numpy twin. Python only maps names here;
which dtype an op accepts is decided by libnabla.
"""
import numpy as np

__all__ = ["DType", "as_dtype", "float32", "float64", "int32", "int64", "uint8",
           "bool", "float16", "int8", "int16", "uint16", "string", "complex64",
           "double", "half"]

_builtin_bool = bool


class DType(object):
    """One element type (tf.DType)."""

    __slots__ = ("_enum", "_name", "_np", "_supported")

    def __init__(self, enum, name, np_type, supported=True):
        self._enum = enum
        self._name = name
        self._np = np_type
        self._supported = supported

    @property
    def name(self):
        return self._name

    @property
    def as_datatype_enum(self):
        return self._enum

    @property
    def as_numpy_dtype(self):
        return self._np

    @property
    def base_dtype(self):
        return self

    @property
    def real_dtype(self):
        return self

    @property
    def is_floating(self):
        return self._np is not None and np.issubdtype(self._np, np.floating)

    @property
    def is_integer(self):
        return (self._np is not None and np.issubdtype(self._np, np.integer))

    @property
    def is_unsigned(self):
        return self._np is not None and np.issubdtype(self._np, np.unsignedinteger)

    @property
    def is_bool(self):
        return self._np is np.bool_

    @property
    def is_complex(self):
        return self._np is not None and np.issubdtype(self._np, np.complexfloating)

    @property
    def is_numpy_compatible(self):
        return self._np is not None

    @property
    def size(self):
        return np.dtype(self._np).itemsize if self._np is not None else 0

    @property
    def min(self):
        if self.is_floating:
            return float(np.finfo(self._np).min)
        if self.is_integer:
            return int(np.iinfo(self._np).min)
        raise TypeError("Cannot find minimum value of %s." % self._name)

    @property
    def max(self):
        if self.is_floating:
            return float(np.finfo(self._np).max)
        if self.is_integer:
            return int(np.iinfo(self._np).max)
        raise TypeError("Cannot find maximum value of %s." % self._name)

    def is_compatible_with(self, other):
        try:
            return self == as_dtype(other)
        except TypeError:
            return False

    def __eq__(self, other):
        if other is None:
            return False
        if isinstance(other, DType):
            return self._enum == other._enum
        try:
            return self._enum == as_dtype(other)._enum
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return self._enum

    def __repr__(self):
        return "tf." + self._name

    def __str__(self):
        return "<dtype: '%s'>" % self._name

    def __reduce__(self):
        return as_dtype, (self._name,)


float32 = DType(1, "float32", np.float32)
float64 = DType(2, "float64", np.float64)
int32 = DType(3, "int32", np.int32)
uint8 = DType(4, "uint8", np.uint8)
int64 = DType(9, "int64", np.int64)
bool = DType(10, "bool", np.bool_)  # noqa: A001 (TF1's name)
# TF1 names nabla has no kernels for: they exist so that programs naming them
# import, and converting to them is a clear TypeError.
int16 = DType(5, "int16", np.int16, False)
int8 = DType(6, "int8", np.int8, False)
string = DType(7, "string", None, False)
complex64 = DType(8, "complex64", np.complex64, False)
float16 = DType(19, "float16", np.float16, False)
uint16 = DType(17, "uint16", np.uint16, False)
half = float16
double = float64

_ALL = [float32, float64, int32, uint8, int64, bool, int16, int8, string,
        complex64, float16, uint16]
_BY_ENUM = {d._enum: d for d in _ALL}
_BY_NAME = {d._name: d for d in _ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16,
                 "int": int32, "long": int64, "bool_": bool})
_BY_NP = {np.dtype(d._np): d for d in _ALL if d._np is not None}


def as_dtype(type_value):
    """tf.as_dtype: a DType from a DType, enum number, name, numpy dtype or Python type."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        d = _BY_NAME.get(type_value)
        if d is not None:
            return d
    elif isinstance(type_value, int) and not isinstance(type_value, _builtin_bool):
        d = _BY_ENUM.get(type_value)
        if d is not None:
            return d
    elif type_value is float:
        return float32
    elif type_value is int:
        return int32
    elif type_value is _builtin_bool:
        return bool
    else:
        try:
            d = _BY_NP.get(np.dtype(type_value))
        except TypeError:
            d = None
        if d is not None:
            return d
    raise TypeError("Cannot convert value %r to a TensorFlow DType." % (type_value,))


def supported(dtype):
    """The DType if nabla has kernels for it, else TypeError naming it."""
    d = as_dtype(dtype)
    if not d._supported:
        raise TypeError("nabla has no dtype %s (supported: float32, float64, int32, int64, "
                        "uint8, bool)" % d._name)
    return d
