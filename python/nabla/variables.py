"""tf.Variable, get_variable / variable_scope and the initializers.

A variable is libnabla's VariableV2 op with its "<name>/Assign" and
"<name>/read"; its value lives in each session. Python keeps TF1's variable
store (which names get_variable has made) as TF1 itself did.
"""
import contextlib
import math as _pymath

import numpy as np

from . import _nabla as _C
from . import dtypes as _dtypes
from .framework import (Tensor, Operation, _Operators, TensorShape, convert_to_tensor,
                        get_default_graph, _name_scope_ctx, _shape_arg, GraphKeys, Graph)



def _unsupported(func, arg, value, detail=""):
    from .framework import _unsupported as u
    u(func, arg, value, detail)


def _reject_none(func, **kw):
    for k in sorted(kw):
        if kw[k] is not None:
            _unsupported(func, k, kw[k])

class Variable(_Operators):
    """tf.Variable(initial_value, trainable=True, collections=None, validate_shape=True,
    caching_device=None, name=None, variable_def=None, dtype=None, ...)."""

    def __init__(self, initial_value=None, trainable=True, collections=None,
                 validate_shape=True, caching_device=None, name=None, variable_def=None,
                 dtype=None, expected_shape=None, import_scope=None, constraint=None,
                 use_resource=None, synchronization=None, aggregation=None, shape=None):
        if variable_def is not None:
            raise NotImplementedError("nabla's Variable does not take a variable_def")
        if constraint is not None:
            _unsupported("Variable", "constraint", constraint,
                         "optimizers would not apply it after an update")
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if trainable is None:
            trainable = True
        g = get_default_graph()
        init_from_fn = callable(initial_value)
        with _name_scope_ctx(g, name or "Variable") as scope:
            if init_from_fn:
                with _name_scope_ctx(g, "Initializer"):
                    initial_value = initial_value()
            if isinstance(initial_value, Variable):
                initial_value = initial_value.initialized_value()
            init = convert_to_tensor(initial_value, dtype=dtype, name="initial_value")
            read = _C.variable(g, init, bool(trainable), scope)
        self._setup(read)
        self._initial_value = init
        self._constraint = constraint
        g._variable_objects[self._op.name] = self
        if collections is not None:
            for c in collections:
                if c not in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES):
                    g.add_to_collection(c, self)

    def _setup(self, read):
        self._read = read
        self._op = _C.variable_op(read)
        self._graph = read.graph
        self._var_output = self._op.outputs[0]
        self._assign_op = self._graph.op_by_name(self._op.name + "/Assign")
        self._initial_value = (self._assign_op.inputs[1] if self._assign_op is not None
                               else None)
        self._constraint = None

    @classmethod
    def _from_read(cls, read):
        g = read.graph
        vop = _C.variable_op(read)
        v = g._variable_objects.get(vop.name)
        if v is not None:
            return v
        v = cls.__new__(cls)
        # the read output a graph lists may be the VariableV2 itself
        r = read
        if read.op.type == "VariableV2":
            r2 = g.output_by_name(vop.name + "/read:0")
            if r2 is not None:
                r = r2
        v._setup(r)
        g._variable_objects[vop.name] = v
        return v

    # -- tensor-ness
    def _as_tensor(self):
        return self._read

    def value(self):
        return self._read

    def read_value(self):
        return self._read

    def _ref(self):
        return self._var_output

    @property
    def name(self):
        return self._var_output.name

    @property
    def op(self):
        return self._op

    @property
    def graph(self):
        return self._graph

    @property
    def dtype(self):
        return self._read.dtype

    @property
    def shape(self):
        return self._read.get_shape()

    def get_shape(self):
        return self._read.get_shape()

    def set_shape(self, shape):
        self._read.set_shape(shape)

    @property
    def device(self):
        return ""

    @property
    def trainable(self):
        return bool(_C.variable_is_trainable(self._read))

    @property
    def initializer(self):
        return self._assign_op

    @property
    def initial_value(self):
        return self._initial_value

    @property
    def constraint(self):
        return self._constraint

    def initialized_value(self):
        """TF1: the value after initialization; nabla returns the initial value's tensor
        (the same numbers, as TF1's cond gives for a fresh variable)."""
        return self._initial_value

    # -- updates
    def assign(self, value, use_locking=False, name=None, read_value=True):
        g = self._graph
        with _name_scope_ctx(g, name or "Assign") as scope:
            v = convert_to_tensor(value, dtype=self.dtype, name="value", graph=g)
            return _C.assign(g, self._read, v, scope)

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        g = self._graph
        with _name_scope_ctx(g, name or "AssignAdd") as scope:
            v = convert_to_tensor(delta, dtype=self.dtype, name="value", graph=g)
            return _C.assign_add(g, self._read, v, scope)

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        g = self._graph
        with _name_scope_ctx(g, name or "AssignSub") as scope:
            v = convert_to_tensor(delta, dtype=self.dtype, name="value", graph=g)
            return _C.assign_sub(g, self._read, v, scope)

    def load(self, value, session=None):
        from . import session as _session
        sess = session or _session.get_default_session()
        if sess is None:
            raise ValueError("Either session argument should be provided or default session "
                             "should be established")
        sess._set_variable(self, value)

    def eval(self, session=None):
        return self._read.eval(session=session)

    def count_up_to(self, limit):
        raise NotImplementedError("nabla has no count_up_to")

    def __repr__(self):
        return "<tf.Variable '%s' shape=%s dtype=%s_ref>" % (self.name, self.get_shape(),
                                                            self.dtype.name)

    __str__ = __repr__

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def to_proto(self, export_scope=None):
        raise NotImplementedError("nabla has no VariableDef protos")


VariableV1 = Variable
RefVariable = Variable


def global_variables(scope=None):
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


all_variables = global_variables


def trainable_variables(scope=None):
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope=None):
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def model_variables(scope=None):
    return get_default_graph().get_collection(GraphKeys.MODEL_VARIABLES, scope)


def moving_average_variables(scope=None):
    return get_default_graph().get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)


def global_variables_initializer():
    """tf.global_variables_initializer(): the NoOp "init" running every Assign."""
    return _C.global_variables_initializer(get_default_graph()).op


def initialize_all_variables():
    """Deprecated TF1 alias of global_variables_initializer (TF1 warned; so does nabla)."""
    import sys
    sys.stderr.write("WARNING: initialize_all_variables (from nabla) is deprecated and will "
                     "be removed after 2017-03-02.\nInstructions for updating:\nUse "
                     "`tf.global_variables_initializer` instead.\n")
    return global_variables_initializer()


def variables_initializer(var_list, name="init"):
    g = get_default_graph()
    if not var_list:
        return _C.no_op(g, name).op
    return _C.group(g, [v.initializer for v in var_list], name).op


initialize_variables = variables_initializer


def local_variables_initializer():
    return _C.no_op(get_default_graph(), "init_1").op


initialize_local_variables = local_variables_initializer


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    raise NotImplementedError("nabla has no report_uninitialized_variables")


def is_variable_initialized(variable):
    raise NotImplementedError("nabla has no is_variable_initialized")


def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    if isinstance(ref, Variable):
        return ref.assign(value, name=name)
    g = ref.graph
    with _name_scope_ctx(g, name or "Assign") as scope:
        v = convert_to_tensor(value, dtype=ref.dtype, name="value", graph=g)
        return _C.assign(g, ref, v, scope)


def assign_add(ref, value, use_locking=None, name=None):
    if isinstance(ref, Variable):
        return ref.assign_add(value, name=name)
    g = ref.graph
    with _name_scope_ctx(g, name or "AssignAdd") as scope:
        return _C.assign_add(g, ref, convert_to_tensor(value, dtype=ref.dtype, graph=g), scope)


def assign_sub(ref, value, use_locking=None, name=None):
    if isinstance(ref, Variable):
        return ref.assign_sub(value, name=name)
    g = ref.graph
    with _name_scope_ctx(g, name or "AssignSub") as scope:
        return _C.assign_sub(g, ref, convert_to_tensor(value, dtype=ref.dtype, graph=g), scope)


# ---------------------------------------------------------------- initializers

class Initializer(object):
    def __call__(self, shape, dtype=None, partition_info=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _dt(dtype, default):
    return _dtypes.supported(dtype if dtype is not None else default)


class Zeros(Initializer):
    def __init__(self, dtype=_dtypes.float32):
        self.dtype = _dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .array_ops import zeros
        return zeros(shape, _dt(dtype, self.dtype), name="zeros")


class Ones(Initializer):
    def __init__(self, dtype=_dtypes.float32):
        self.dtype = _dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .array_ops import ones
        return ones(shape, _dt(dtype, self.dtype), name="ones")


class Constant(Initializer):
    def __init__(self, value=0, dtype=_dtypes.float32, verify_shape=False):
        self.verify_shape = bool(verify_shape)
        self.value = value
        self.dtype = _dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .framework import constant
        if self.verify_shape and (shape is None or list(np.shape(self.value)) !=
                                  [int(d) for d in shape]):
            raise TypeError("Expected Tensor's shape: %s, got %s." % (
                tuple(int(d) for d in (shape or [])), tuple(np.shape(self.value))))
        return constant(self.value, dtype=_dt(dtype, self.dtype), shape=shape, name="Const")


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=_dtypes.float32):
        self.mean, self.stddev, self.seed = mean, stddev, seed
        self.dtype = _dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .array_ops import random_normal
        return random_normal(shape, self.mean, self.stddev, _dt(dtype, self.dtype), self.seed)


class TruncatedNormal(Initializer):
    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=_dtypes.float32):
        self.mean, self.stddev, self.seed = mean, stddev, seed
        self.dtype = _dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .array_ops import truncated_normal
        return truncated_normal(shape, self.mean, self.stddev, _dt(dtype, self.dtype),
                                self.seed)


class RandomUniform(Initializer):
    def __init__(self, minval=0, maxval=None, seed=None, dtype=_dtypes.float32):
        self.minval, self.maxval, self.seed = minval, maxval, seed
        self.dtype = _dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .array_ops import random_uniform
        return random_uniform(shape, self.minval, self.maxval, _dt(dtype, self.dtype),
                              self.seed)


class VarianceScaling(Initializer):
    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 dtype=_dtypes.float32):
        if scale <= 0.:
            raise ValueError("`scale` must be positive float.")
        if mode not in {"fan_in", "fan_out", "fan_avg"}:
            raise ValueError("Invalid `mode` argument:", mode)
        distribution = distribution.lower()
        if distribution not in {"normal", "uniform", "truncated_normal", "untruncated_normal"}:
            raise ValueError("Invalid `distribution` argument:", distribution)
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed
        self.dtype = _dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        d = _dt(dtype, self.dtype)
        g = get_default_graph()
        mode = {"fan_in": 0, "fan_out": 1, "fan_avg": 2}[self.mode]
        if self.distribution == "untruncated_normal":
            fan_in, fan_out = _fans(shape)
            n = {0: fan_in, 1: fan_out, 2: (fan_in + fan_out) / 2.0}[mode]
            from .array_ops import random_normal
            return random_normal(shape, 0.0, _pymath.sqrt(self.scale / max(1.0, n)), d,
                                 self.seed)
        return _C.variance_scaling(g, d.as_datatype_enum, _shape_arg(shape), float(self.scale),
                                   mode, self.distribution == "uniform", self.seed, None)


def _fans(shape):
    shape = list(_shape_arg(shape))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    rf = 1
    for d in shape[:-2]:
        rf *= d
    return shape[-2] * rf, shape[-1] * rf


class GlorotUniform(Initializer):
    def __init__(self, seed=None, dtype=_dtypes.float32):
        self.seed = seed
        self.dtype = _dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        d = _dt(dtype, self.dtype)
        return _C.glorot_uniform(get_default_graph(), d.as_datatype_enum, _shape_arg(shape),
                                 self.seed, None)


class GlorotNormal(VarianceScaling):
    def __init__(self, seed=None, dtype=_dtypes.float32):
        VarianceScaling.__init__(self, 1.0, "fan_avg", "truncated_normal", seed, dtype)


zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_normal_initializer = RandomNormal
truncated_normal_initializer = TruncatedNormal
random_uniform_initializer = RandomUniform
variance_scaling_initializer = VarianceScaling
glorot_uniform_initializer = GlorotUniform
glorot_normal_initializer = GlorotNormal


def he_normal(seed=None):
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed=None):
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def xavier_initializer(uniform=True, seed=None, dtype=_dtypes.float32):
    return GlorotUniform(seed, dtype) if uniform else GlorotNormal(seed, dtype)


# ---------------------------------------------------------------- variable scopes

class _ReuseType(object):
    def __repr__(self):
        return "tf.AUTO_REUSE"


AUTO_REUSE = _ReuseType()


class VariableScope(object):
    """A variable scope: a name prefix for get_variable plus defaults."""

    def __init__(self, reuse, name="", initializer=None, regularizer=None, dtype=None,
                 name_scope=""):
        self._reuse = reuse
        self._name = name
        self._initializer = initializer
        self._regularizer = regularizer
        self._dtype = dtype
        self._name_scope = name_scope

    @property
    def name(self):
        return self._name

    @property
    def original_name_scope(self):
        return self._name_scope

    @property
    def reuse(self):
        return self._reuse

    @property
    def initializer(self):
        return self._initializer

    @property
    def regularizer(self):
        return self._regularizer

    @property
    def dtype(self):
        return self._dtype

    def reuse_variables(self):
        self._reuse = True

    def set_initializer(self, initializer):
        self._initializer = initializer

    def set_regularizer(self, regularizer):
        self._regularizer = regularizer

    def set_dtype(self, dtype):
        self._dtype = dtype

    def get_variable(self, var_store, name, *args, **kwargs):
        return get_variable(name, *args, **kwargs)

    def __repr__(self):
        return "<VariableScope '%s' reuse=%s>" % (self._name, self._reuse)


def _scope_stack(g):
    if not g._var_scope_stack:
        g._var_scope_stack.append(VariableScope(False))
    return g._var_scope_stack


def get_variable_scope():
    return _scope_stack(get_default_graph())[-1]


def _store(g):
    if g._var_store is None:
        g._var_store = {}
    return g._var_store


class variable_scope(object):
    """tf.variable_scope(name_or_scope, default_name=None, values=None, initializer=None,
    regularizer=None, reuse=None, dtype=None, ...)."""

    def __init__(self, name_or_scope, default_name=None, values=None, initializer=None,
                 regularizer=None, caching_device=None, partitioner=None, custom_getter=None,
                 reuse=None, dtype=None, use_resource=None, constraint=None,
                 auxiliary_name_scope=True):
        if name_or_scope is None and default_name is None:
            raise TypeError("If default_name is None then name_or_scope is required")
        _reject_none("variable_scope", partitioner=partitioner, custom_getter=custom_getter,
                     constraint=constraint)
        if reuse is False:
            reuse = None
        self._name_or_scope = name_or_scope
        self._default_name = default_name
        self._values = values
        self._initializer = initializer
        self._regularizer = regularizer
        self._reuse = reuse
        self._dtype = dtype
        self._aux = auxiliary_name_scope
        self._ctx = None

    def __enter__(self):
        from .framework import _graph_from_values
        g = _graph_from_values(self._values)
        self._g = g
        stack = _scope_stack(g)
        parent = stack[-1]
        if isinstance(self._name_or_scope, VariableScope):
            vs_name = self._name_or_scope.name
            ns = self._name_or_scope.original_name_scope
            base = self._name_or_scope
            reuse = self._reuse if self._reuse is not None else base.reuse
            init = self._initializer or base.initializer
            reg = self._regularizer or base.regularizer
            dtype = self._dtype or base.dtype
            self._ctx = _name_scope_ctx(g, ns if ns else "")
            scope_str = self._ctx.__enter__()
        else:
            pre_ctx = None
            if self._name_or_scope is not None:
                short = self._name_or_scope
            else:
                # default_name made unique by libnabla's name rules ("dense", "dense_1", ...)
                pre_ctx = _name_scope_ctx(g, self._default_name)
                scope_str = pre_ctx.__enter__()
                short = scope_str.rstrip("/").rsplit("/", 1)[-1]
            vs_name = (parent.name + "/" + short) if parent.name else short
            reuse = True if parent.reuse is True and self._reuse is None else \
                (self._reuse if self._reuse is not None else parent.reuse)
            init = self._initializer or parent.initializer
            reg = self._regularizer or parent.regularizer
            dtype = self._dtype or parent.dtype
            if pre_ctx is not None:
                self._ctx = pre_ctx
            elif self._aux:
                self._ctx = _name_scope_ctx(g, short)
                scope_str = self._ctx.__enter__()
            else:
                self._ctx = None
                scope_str = g.name_scope_current()
        vs = VariableScope(reuse if reuse is not None else False, vs_name, init, reg, dtype,
                           scope_str)
        stack.append(vs)
        return vs

    def __exit__(self, *exc):
        _scope_stack(self._g).pop()
        if self._ctx is not None:
            return self._ctx.__exit__(*exc)
        return False


VariableScope.__module__ = __name__


@contextlib.contextmanager
def _root_then(g, name):
    with _name_scope_ctx(g, ""):
        with _name_scope_ctx(g, name) as s:
            yield s


def get_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,
                 trainable=None, collections=None, caching_device=None, partitioner=None,
                 validate_shape=True, use_resource=None, custom_getter=None, constraint=None,
                 synchronization=None, aggregation=None):
    """tf.get_variable: the variable "<variable scope>/<name>", made on first use and
    shared where the scope's reuse allows it (TF1's rules and messages)."""
    _reject_none("get_variable", partitioner=partitioner, custom_getter=custom_getter,
                 constraint=constraint)
    g = get_default_graph()
    vs = _scope_stack(g)[-1]
    full = (vs.name + "/" + name) if vs.name else name
    store = _store(g)
    reuse = vs.reuse
    if full in store:
        if reuse is False or reuse is None:
            raise ValueError("Variable %s already exists, disallowed. Did you mean to set "
                             "reuse=True or reuse=tf.AUTO_REUSE in VarScope?" % full)
        v = store[full]
        if shape is not None and not v.get_shape().is_compatible_with(shape):
            raise ValueError("Trying to share variable %s, but specified shape %s and found "
                             "shape %s." % (full, TensorShape(_shape_arg(shape)),
                                            v.get_shape()))
        if dtype is not None and _dtypes.as_dtype(dtype) != v.dtype:
            raise ValueError("Trying to share variable %s, but specified dtype %s and found "
                             "dtype %s." % (full, _dtypes.as_dtype(dtype).name, v.dtype.name))
        return v
    if reuse is True:
        raise ValueError("Variable %s does not exist, or was not created with "
                         "tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in "
                         "VarScope?" % full)
    if dtype is None:
        dtype = vs.dtype if vs.dtype is not None else _dtypes.float32
    dtype = _dtypes.supported(dtype)
    if initializer is None:
        initializer = vs.initializer
    init_is_value = initializer is not None and not callable(initializer)
    if not init_is_value:
        sh = TensorShape(_shape_arg(shape)) if shape is not None else TensorShape(None)
        if not sh.is_fully_defined():
            raise ValueError("Shape of a new variable (%s) must be fully defined, but instead "
                             "was %s." % (full, sh))
        if initializer is None:
            initializer = GlorotUniform() if dtype.is_floating else Zeros()
    if trainable is None:
        trainable = True
    with _root_then(g, full) as scope:
        if init_is_value:
            init = convert_to_tensor(initializer, dtype=dtype, name="initial_value")
        else:
            with _name_scope_ctx(g, "Initializer"):
                init = initializer(_shape_arg(shape), dtype=dtype)
            init = convert_to_tensor(init, dtype=dtype)
        read = _C.variable(g, init, bool(trainable), scope)
    v = Variable._from_read(read)
    v._initial_value = init
    store[full] = v
    if collections is not None:
        for c in collections:
            if c not in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES):
                g.add_to_collection(c, v)
    reg = regularizer if regularizer is not None else vs.regularizer
    if reg is not None:
        with _name_scope_ctx(g, full + "/Regularizer/"):
            loss = reg(v._read)
        if loss is not None:
            g.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
    return v


def get_local_variable(name, shape=None, dtype=None, initializer=None, **kw):
    kw["trainable"] = False
    kw.setdefault("collections", [GraphKeys.LOCAL_VARIABLES])
    return get_variable(name, shape, dtype, initializer, **kw)
