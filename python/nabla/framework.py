"""Graphs, tensors, operations, name scopes and collections (TF1's tf.Graph & co).

Everything here maps TF1's Python names onto libnabla through the extension
module `_nabla`: the graph, names, shapes and every error message are
libnabla's. Python keeps only what TF1 kept in Python too: the default-graph
stack, collections and the default session.
"""
import contextlib
import threading

import numpy as np

from . import _nabla as _C
from . import dtypes as _dtypes

# Base-class descriptors of the C types, reached past the subclasses' overrides.
_out_dtype = _C.Output.dtype.__get__
_out_shape = _C.Output.shape.__get__
_out_graph = _C.Output.graph.__get__
_out_op = _C.Output.op.__get__
_op_graph = _C.Op.graph.__get__
_op_inputs = _C.Op.inputs.__get__
_op_outputs = _C.Op.outputs.__get__


# ---------------------------------------------------------------- shapes

class Dimension(object):
    """One dimension of a TensorShape (None when unknown), as TF1's."""

    __slots__ = ("_value",)

    def __init__(self, value):
        if isinstance(value, Dimension):
            value = value._value
        self._value = None if value is None else int(value)

    @property
    def value(self):
        return self._value

    def __repr__(self):
        return "Dimension(%s)" % self._value

    def __str__(self):
        return "?" if self._value is None else str(self._value)

    def __int__(self):
        if self._value is None:
            raise TypeError("Cannot convert an unknown Dimension to an int")
        return self._value

    __index__ = __int__

    def __eq__(self, other):
        other = other.value if isinstance(other, Dimension) else other
        if self._value is None or other is None:
            return None
        return self._value == other

    def __ne__(self, other):
        r = self.__eq__(other)
        return None if r is None else not r

    def __hash__(self):
        return hash(self._value)

    def _arith(self, other, f):
        o = other.value if isinstance(other, Dimension) else other
        if self._value is None or o is None:
            return Dimension(None)
        return Dimension(f(self._value, int(o)))

    def __add__(self, o): return self._arith(o, lambda a, b: a + b)
    __radd__ = __add__
    def __sub__(self, o): return self._arith(o, lambda a, b: a - b)
    def __mul__(self, o): return self._arith(o, lambda a, b: a * b)
    __rmul__ = __mul__
    def __floordiv__(self, o): return self._arith(o, lambda a, b: a // b)

    def is_compatible_with(self, other):
        o = other.value if isinstance(other, Dimension) else other
        return self._value is None or o is None or self._value == o

    def merge_with(self, other):
        o = other.value if isinstance(other, Dimension) else other
        if self._value is None:
            return Dimension(o)
        if o is not None and o != self._value:
            raise ValueError("Dimensions %s and %s are not compatible" % (self, Dimension(o)))
        return Dimension(self._value)


def dimension_value(d):
    return d.value if isinstance(d, Dimension) else d


class TensorShape(object):
    """A static shape: None dims are unknown, a None rank is an unknown rank."""

    __slots__ = ("_dims",)

    def __init__(self, dims):
        if isinstance(dims, TensorShape):
            dims = dims._dims
        if dims is None:
            self._dims = None
        elif isinstance(dims, (int, np.integer, Dimension)):
            self._dims = (dimension_value(dims),)
        else:
            self._dims = tuple(None if d is None else int(dimension_value(d)) if
                               dimension_value(d) is not None else None for d in dims)

    @property
    def dims(self):
        return None if self._dims is None else [Dimension(d) for d in self._dims]

    @property
    def ndims(self):
        return None if self._dims is None else len(self._dims)

    rank = ndims

    def as_list(self):
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def as_tuple(self):
        return self._dims

    def is_fully_defined(self):
        return self._dims is not None and all(d is not None for d in self._dims)

    def num_elements(self):
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self._dims:
            n *= d
        return n

    def is_compatible_with(self, other):
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def merge_with(self, other):
        other = as_shape(other)
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        if not self.is_compatible_with(other):
            raise ValueError("Shapes %s and %s are not compatible" % (self, other))
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def assert_is_compatible_with(self, other):
        if not self.is_compatible_with(other):
            raise ValueError("Shapes %s and %s are incompatible" % (self, as_shape(other)))

    def assert_has_rank(self, rank):
        if self._dims is not None and len(self._dims) != rank:
            raise ValueError("Shape %s must have rank %d" % (self, rank))

    def with_rank(self, rank):
        self.assert_has_rank(rank)
        return self if self._dims is not None else TensorShape([None] * rank)

    def concatenate(self, other):
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    def __len__(self):
        if self._dims is None:
            raise ValueError("Cannot take the length of Shape with unknown rank.")
        return len(self._dims)

    def __iter__(self):
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter([Dimension(d) for d in self._dims])

    def __getitem__(self, key):
        if self._dims is None:
            if isinstance(key, slice):
                return TensorShape(None)
            return Dimension(None)
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        return Dimension(self._dims[key])

    def __eq__(self, other):
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __hash__(self):
        return hash(self._dims)

    def __bool__(self):
        return self._dims is not None

    def __str__(self):
        if self._dims is None:
            return "<unknown>"
        if len(self._dims) == 1:
            return "(%s,)" % ("?" if self._dims[0] is None else self._dims[0])
        return "(" + ", ".join("?" if d is None else str(d) for d in self._dims) + ")"

    def __repr__(self):
        if self._dims is None:
            return "TensorShape(None)"
        return "TensorShape([" + ", ".join(repr(Dimension(d)) for d in self._dims) + "])"


def as_shape(shape):
    return shape if isinstance(shape, TensorShape) else TensorShape(shape)


def _shape_arg(shape):
    """A TF1 shape argument (None, int, list/tuple with None or -1 dims, TensorShape)
    as the extension wants it: None for an unknown rank, else a tuple with None dims."""
    if shape is None:
        return None
    if isinstance(shape, TensorShape):
        return shape.as_tuple()
    if isinstance(shape, (int, np.integer, Dimension)):
        shape = [shape]
    out = []
    for d in shape:
        d = dimension_value(d)
        if d is None or (not isinstance(d, np.ndarray) and int(d) == -1):
            out.append(None)
        else:
            out.append(int(d))
    return tuple(out)


# ---------------------------------------------------------------- graphs

class _GraphLocal(threading.local):
    def __init__(self):
        self.stack = []


_graph_local = _GraphLocal()
_global_default_graph = None


def get_default_graph():
    """The innermost graph of `with g.as_default()`, else the global default graph."""
    global _global_default_graph
    stack = _graph_local.stack
    if stack:
        return stack[-1]
    if _global_default_graph is None:
        _global_default_graph = Graph()
    return _global_default_graph


def reset_default_graph():
    """Clears the global default graph (TF1: not allowed inside a `with g.as_default()`)."""
    global _global_default_graph
    if _graph_local.stack:
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. "
                             "If you need a cleared graph, exit the nesting and create a new graph.")
    _global_default_graph = Graph()
    from . import session as _session
    _session._reset_default_session()


class GraphKeys(object):
    GLOBAL_VARIABLES = "variables"
    VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    TABLE_INITIALIZERS = "table_initializer"
    ASSET_FILEPATHS = "asset_filepaths"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    CONCATENATED_VARIABLES = "concatenated_variables"
    SAVERS = "savers"
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    SAVEABLE_OBJECTS = "saveable_objects"
    RESOURCES = "resources"
    LOCAL_RESOURCES = "local_resources"
    TRAINABLE_RESOURCE_VARIABLES = "trainable_resource_variables"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"
    SUMMARY_OP = "summary_op"
    GLOBAL_STEP = "global_step"
    EVAL_STEP = "eval_step"
    TRAIN_OP = "train_op"
    COND_CONTEXT = "cond_context"
    WHILE_CONTEXT = "while_context"


class GraphDef(object):
    """A serialized GraphDef (TF's protobuf), as bytes libnabla wrote."""

    def __init__(self, data, graph=None):
        self._data = bytes(data)
        self._graph = graph

    def SerializeToString(self):
        return self._data

    def ByteSize(self):
        return len(self._data)

    @property
    def node(self):
        return [] if self._graph is None else [o for o in self._graph.get_operations()]

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        return "<GraphDef of %d bytes>" % len(self._data)


class Graph(_C.Graph):
    """tf.Graph: a dataflow graph (libnabla's nb_graph) plus TF1's Python-side state."""

    def __init__(self):
        _C.Graph.__init__(self)
        self._collections = {}
        self._variable_objects = {}     # VariableV2 op name -> Variable
        self._finalized = False
        self._seed = None
        self._var_store = None
        self._var_scope_stack = []
        self._optimizer_slots = {}
        self._summary_outputs = set()

    # -- default-graph stack
    @contextlib.contextmanager
    def as_default(self):
        _graph_local.stack.append(self)
        try:
            yield self
        finally:
            _graph_local.stack.pop()

    @property
    def finalized(self):
        return self._finalized

    def finalize(self):
        self._finalized = True

    @property
    def seed(self):
        return self._seed

    @seed.setter
    def seed(self, value):
        self._seed = value
        if value is not None:
            self.set_seed(int(value))

    @property
    def version(self):
        return len(self.ops())

    @property
    def building_function(self):
        return False

    # -- lookups
    def get_operations(self):
        return list(self.ops())

    def get_operation_by_name(self, name):
        if not isinstance(name, str):
            raise TypeError("Operation names are strings (or similar), not %s."
                            % type(name).__name__)
        op = self.op_by_name(name)
        if op is None:
            raise KeyError("The name %s refers to an Operation not in the graph." % repr(name))
        return op

    def get_tensor_by_name(self, name):
        if not isinstance(name, str):
            raise TypeError("Tensor names are strings (or similar), not %s."
                            % type(name).__name__)
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        if isinstance(obj, str):
            if ":" in obj:
                if not allow_tensor:
                    raise ValueError("Name %s appears to refer to a Tensor, not a Operation."
                                     % repr(obj))
                t = self.output_by_name(obj)
                if t is None:
                    opname = obj.rsplit(":", 1)[0]
                    if self.op_by_name(opname) is None:
                        raise KeyError("The name %s refers to a Tensor which does not exist. "
                                       "The operation, %s, does not exist in the graph."
                                       % (repr(obj), repr(opname)))
                    raise KeyError("The name %s refers to a Tensor which does not exist. "
                                   "The operation, %s, exists but only has %d outputs."
                                   % (repr(obj), repr(opname),
                                      len(self.op_by_name(opname).outputs)))
                return t
            if not allow_operation:
                raise ValueError("The name %s looks like an (invalid) Operation name, not a "
                                 "Tensor. Tensor names must be of the form "
                                 "\"<op_name>:<output_index>\"." % repr(obj))
            op = self.op_by_name(obj)
            if op is None:
                raise KeyError("The name %s refers to an Operation not in the graph."
                               % repr(obj))
            return op
        if isinstance(obj, Tensor) and allow_tensor:
            return obj
        if isinstance(obj, Operation) and allow_operation:
            return obj
        from .variables import Variable
        if isinstance(obj, Variable) and allow_tensor:
            return obj._read
        raise TypeError("Can not convert a %s into a %s." %
                        (type(obj).__name__, "Tensor or Operation" if allow_tensor and
                         allow_operation else "Tensor" if allow_tensor else "Operation"))

    def as_graph_def(self, from_version=None, add_shapes=False):
        return GraphDef(self.graphdef(), self)

    # -- scopes
    def name_scope(self, name):
        return _name_scope_ctx(self, name)

    def control_dependencies(self, control_inputs):
        return _control_dependencies_ctx(self, control_inputs)

    def get_name_scope(self):
        return self.name_scope_current().rstrip("/")

    def device(self, device_name_or_function):
        return contextlib.nullcontext()

    def colocate_with(self, op, ignore_existing=False):
        return contextlib.nullcontext()

    def gradient_override_map(self, op_type_map):
        raise NotImplementedError("nabla has no gradient_override_map: gradients are libnabla's")

    # -- collections
    def add_to_collection(self, name, value):
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value):
        if isinstance(names, str):
            names = [names]
        for n in set(names):
            self.add_to_collection(n, value)

    def get_collection_ref(self, name):
        if name in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES):
            return self.get_collection(name)
        return self._collections.setdefault(name, [])

    def get_collection(self, name, scope=None):
        if name == GraphKeys.GLOBAL_VARIABLES:
            items = self._all_variables()
        elif name == GraphKeys.TRAINABLE_VARIABLES:
            items = [v for v in self._all_variables() if v.trainable]
        else:
            items = list(self._collections.get(name, []))
        if scope is None:
            return items
        import re
        rx = re.compile(scope)
        out = []
        for item in items:
            nm = getattr(item, "name", None)
            if nm is not None and rx.match(nm):
                out.append(item)
        return out

    def get_all_collection_keys(self):
        keys = set(k for k, v in self._collections.items() if v)
        if self.variables():
            keys.add(GraphKeys.GLOBAL_VARIABLES)
            if any(True for v in self._all_variables() if v.trainable):
                keys.add(GraphKeys.TRAINABLE_VARIABLES)
        return sorted(keys)

    def clear_collection(self, name):
        self._collections.pop(name, None)

    def _all_variables(self):
        from .variables import Variable
        out = []
        for read in self.variables():
            op = read.op
            # the read output's op is "<v>/read" whose input is the VariableV2
            vop = op.inputs[0].op if op.type == "Identity" else op
            v = self._variable_objects.get(vop.name)
            if v is None:
                v = Variable._from_read(read)
            out.append(v)
        return out

    def unique_name(self, name, mark_as_used=True):
        scope = self.name_scope_current()
        base = scope + name
        if self.op_by_name(base) is None:
            return base
        i = 1
        while self.op_by_name("%s_%d" % (base, i)) is not None:
            i += 1
        return "%s_%d" % (base, i)


def _graph_of_output(t):
    return _out_graph(t)


def _graph_of_op(op):
    return _op_graph(op)



def _unsupported(func, arg, value, detail=""):
    """Raises NotImplementedError naming a TF1 argument nabla does not support
    (docs/tf1_arguments.md lists them all)."""
    raise NotImplementedError("nabla's %s does not support %s=%r%s (see docs/tf1_arguments.md)"
                              % (func, arg, value, ("; " + detail) if detail else ""))


def _py_int(value, func, arg):
    """int(value) for an argument nabla takes as a Python int (TF1 also takes a Tensor)."""
    if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
        raise TypeError("nabla's %s takes %s as a Python int, not a Tensor "
                        "(see docs/tf1_arguments.md)" % (func, arg))
    return int(value)


@contextlib.contextmanager
def _name_scope_ctx(graph, name):
    if name is None:
        name = ""
    if not isinstance(name, str):
        raise TypeError("name for name_scope must be a string, not %s" % type(name).__name__)
    before = graph.name_scope_current()
    try:
        scope = graph.name_scope_push(name)
    except Exception:
        # libnabla pushes a stand-in scope when it rejects a name: leave it again
        if graph.name_scope_current() != before:
            graph.name_scope_pop()
        raise
    try:
        yield scope
    finally:
        graph.name_scope_pop()


def _op_of(x):
    """An Operation for a control-dependency argument (Operation, Tensor, Variable)."""
    if isinstance(x, Operation):
        return x
    if isinstance(x, Tensor):
        return x.op
    from .variables import Variable
    if isinstance(x, Variable):
        return x.op
    raise TypeError("Can not convert a %s into a Operation." % type(x).__name__)


@contextlib.contextmanager
def _control_dependencies_ctx(graph, control_inputs):
    ops = [] if control_inputs is None else [_op_of(c) for c in control_inputs]
    graph.control_dependencies_push(ops)
    try:
        yield None
    finally:
        graph.control_dependencies_pop()


class name_scope(object):
    """tf.name_scope(name, default_name=None, values=None): enters a name scope of
    the graph of `values` (or the default graph); `as scope` gives "name/"."""

    def __init__(self, name, default_name=None, values=None):
        self._name = default_name if name is None else name
        self._values = values
        self._ctx = None

    def __enter__(self):
        g = _graph_from_values(self._values)
        self._ctx = _name_scope_ctx(g, self._name)
        return self._ctx.__enter__()

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def _graph_from_values(values):
    if values:
        for v in values:
            if isinstance(v, (Tensor, Operation)):
                return v.graph
            g = getattr(v, "graph", None)
            if isinstance(g, Graph):
                return g
    return get_default_graph()


def control_dependencies(control_inputs):
    """tf.control_dependencies: ops created inside run after `control_inputs`."""
    return get_default_graph().control_dependencies(control_inputs)


def get_collection(key, scope=None):
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key):
    return get_default_graph().get_collection_ref(key)


def add_to_collection(name, value):
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value):
    get_default_graph().add_to_collections(names, value)


def set_random_seed(seed):
    """tf.set_random_seed: the default graph's seed (op seeds derive from it as in TF1)."""
    get_default_graph().seed = seed


def get_seed(op_seed):
    g = get_default_graph()
    return g.seed, op_seed


def device(name):
    return contextlib.nullcontext()


# ---------------------------------------------------------------- tensors

class _Operators(object):
    """Python operators building TF1's ops; shared by Tensor and Variable."""

    __slots__ = ()
    __array_priority__ = 100

    def __add__(self, other): return _math().add(self, other, name="add")
    def __radd__(self, other): return _math().add(other, self, name="add")
    def __sub__(self, other): return _math().subtract(self, other, name="sub")
    def __rsub__(self, other): return _math().subtract(other, self, name="sub")
    def __mul__(self, other): return _math().multiply(self, other, name="mul")
    def __rmul__(self, other): return _math().multiply(other, self, name="mul")
    def __truediv__(self, other): return _math().truediv(self, other, name="truediv")
    def __rtruediv__(self, other): return _math().truediv(other, self, name="truediv")
    __div__ = __truediv__
    __rdiv__ = __rtruediv__
    def __floordiv__(self, other): return _math().floordiv(self, other, name="floordiv")
    def __rfloordiv__(self, other): return _math().floordiv(other, self, name="floordiv")
    def __mod__(self, other): return _math().floormod(self, other, name="mod")
    def __rmod__(self, other): return _math().floormod(other, self, name="mod")
    def __pow__(self, other): return _math().pow(self, other, name="pow")
    def __rpow__(self, other): return _math().pow(other, self, name="pow")
    def __matmul__(self, other): return _math().matmul(self, other, name="matmul")
    def __rmatmul__(self, other): return _math().matmul(other, self, name="matmul")
    def __neg__(self): return _math().negative(self, name="Neg")
    def __abs__(self): return _math().abs(self, name="Abs")
    def __lt__(self, other): return _math().less(self, other, name="Less")
    def __le__(self, other): return _math().less_equal(self, other, name="LessEqual")
    def __gt__(self, other): return _math().greater(self, other, name="Greater")
    def __ge__(self, other): return _math().greater_equal(self, other, name="GreaterEqual")
    def __and__(self, other): return _math().logical_and(self, other, name="and")
    def __rand__(self, other): return _math().logical_and(other, self, name="and")
    def __or__(self, other): return _math().logical_or(self, other, name="or")
    def __ror__(self, other): return _math().logical_or(other, self, name="or")
    def __xor__(self, other): return _math().logical_xor(self, other, name="xor")
    def __rxor__(self, other): return _math().logical_xor(other, self, name="xor")
    def __invert__(self): return _math().logical_not(self, name="LogicalNot")

    def __getitem__(self, key):
        from . import array_ops
        return array_ops._slice_helper(self, key)

    def __bool__(self):
        raise TypeError("Using a `tf.Tensor` as a Python `bool` is not allowed. Use `if t is "
                        "not None:` instead of `if t:` to test if a tensor is defined, and use "
                        "TensorFlow ops such as tf.cond to execute subgraphs conditioned on the "
                        "value of a tensor.")

    __nonzero__ = __bool__

    def __iter__(self):
        shape = self.get_shape()
        if shape.ndims is None:
            raise TypeError("Cannot iterate over a tensor with unknown shape.")
        if shape.ndims == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        n = shape[0].value
        if n is None:
            raise TypeError("Cannot iterate over a tensor with unknown first dimension.")
        return iter([self[i] for i in range(n)])

    def __array__(self, dtype=None):
        raise NotImplementedError("Cannot convert a symbolic Tensor (%s) to a numpy array."
                                  % self.name)


_math_mod = None


def _math():
    global _math_mod
    if _math_mod is None:
        from . import math_ops
        _math_mod = math_ops
    return _math_mod


class Tensor(_Operators, _C.Output):
    """tf.Tensor: one output of an Operation."""

    __slots__ = ()

    OVERLOADABLE_OPERATORS = {"__add__", "__radd__", "__sub__", "__rsub__", "__mul__",
                              "__rmul__", "__div__", "__rdiv__", "__truediv__",
                              "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
                              "__rmod__", "__lt__", "__le__", "__gt__", "__ge__", "__and__",
                              "__rand__", "__or__", "__ror__", "__xor__", "__rxor__",
                              "__getitem__", "__pow__", "__rpow__", "__invert__", "__neg__",
                              "__abs__", "__matmul__", "__rmatmul__"}

    @property
    def dtype(self):
        return _dtypes.as_dtype(_out_dtype(self))

    @property
    def shape(self):
        return TensorShape(_out_shape(self))

    def get_shape(self):
        return TensorShape(_out_shape(self))

    def set_shape(self, shape):
        if not self.get_shape().is_compatible_with(shape):
            raise ValueError("Tensor's shape %s is not compatible with supplied shape %s"
                             % (self.get_shape(), as_shape(shape)))

    @property
    def device(self):
        return ""

    def eval(self, feed_dict=None, session=None):
        from . import session as _session
        return _session._eval_using_default_session(self, feed_dict, self.graph, session)

    def __repr__(self):
        return "<tf.Tensor '%s' shape=%s dtype=%s>" % (self.name, self.get_shape(),
                                                      self.dtype.name)

    def __str__(self):
        return 'Tensor("%s", shape=%s, dtype=%s)' % (self.name, self.get_shape(),
                                                      self.dtype.name)

    __hash__ = _C.Output.__hash__

    def __eq__(self, other):
        # TF1 compares tensors by identity of the output (no elementwise ==)
        return _C.Output.__eq__(self, other)

    def __ne__(self, other):
        r = _C.Output.__eq__(self, other)
        return r if r is NotImplemented else not r

    def _as_node_def_input(self):
        return self.name[:-2] if self.value_index == 0 else self.name


class Operation(_C.Op):
    """tf.Operation: one node of the graph."""

    __slots__ = ()

    def run(self, feed_dict=None, session=None):
        from . import session as _session
        _session._run_using_default_session(self, feed_dict, self.graph, session)

    @property
    def node_def(self):
        return None

    @property
    def device(self):
        return ""

    @property
    def values(self):
        return tuple(self.outputs)

    def __repr__(self):
        return "<tf.Operation '%s' type=%s>" % (self.name, self.type)

    def __str__(self):
        lines = ['name: "%s"' % self.name, 'op: "%s"' % self.type]
        for t in self.inputs:
            lines.append('input: "%s"' % t._as_node_def_input())
        for c in self.control_inputs:
            lines.append('input: "^%s"' % c.name)
        return "\n".join(lines) + "\n"

    def get_attr(self, name):
        raise ValueError("Operation %s has no attr named '%s'." % (repr(self.name), name))


_C.set_classes(Tensor, Operation)


# ---------------------------------------------------------------- values

def _infer_numpy(value, dtype=None):
    """A numpy array of `value` with TF1's dtype inference (Python int -> int32,
    float -> float32, bool -> bool; numpy keeps its dtype); `dtype` converts."""
    if dtype is not None:
        dtype = _dtypes.supported(dtype)
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        arr = np.asarray(value)
        if dtype is None:
            if arr.dtype == np.object_ or arr.dtype.kind in "USa":
                raise TypeError("Failed to convert object of type %s to Tensor. Contents: %s. "
                                "Consider casting elements to a supported type."
                                % (type(value), value))
            _dtypes.supported(arr.dtype)
            return arr
        return _convert_checked(arr, dtype, value)
    arr = np.asarray(value)
    if arr.dtype == np.object_ or arr.dtype.kind in "USa":
        raise TypeError("Failed to convert object of type %s to Tensor. Contents: %s. "
                        "Consider casting elements to a supported type." % (type(value), value))
    if dtype is None:
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        elif arr.dtype.kind in "iu":
            lo, hi = (arr.min(), arr.max()) if arr.size else (0, 0)
            if lo >= -2 ** 31 and hi < 2 ** 31:
                arr = arr.astype(np.int32)
            else:
                arr = arr.astype(np.int64)
        elif arr.dtype.kind == "b":
            pass
        else:
            _dtypes.supported(arr.dtype)
        return arr
    return _convert_checked(arr, dtype, value)


def _convert_checked(arr, dtype, value):
    npd = np.dtype(dtype.as_numpy_dtype)
    if arr.dtype == npd:
        return arr
    if npd.kind in "iub" and arr.dtype.kind == "f":
        if not isinstance(value, np.ndarray):
            raise TypeError("Expected %s, got %r of type '%s' instead."
                            % (dtype.name, value, type(value).__name__))
    if npd.kind == "b" and arr.dtype.kind != "b":
        raise TypeError("Expected bool, got %r of type '%s' instead."
                        % (value, type(value).__name__))
    if npd.kind in "iu" and arr.size:
        info = np.iinfo(npd)
        if arr.dtype.kind in "iu" and (arr.min() < info.min or arr.max() > info.max):
            raise ValueError("Value %r out of range for %s" % (value, dtype.name))
    return arr.astype(npd)


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    """tf.constant(value, dtype=None, shape=None, name="Const")."""
    arr = _infer_numpy(value, dtype)
    if shape is not None:
        shp = _shape_arg(shape)
        if any(d is None for d in shp):
            raise ValueError("Shape %s must be fully defined for a constant" % (shp,))
        n = int(np.prod(shp)) if shp else 1
        if verify_shape and arr.shape != shp:
            raise TypeError("Expected Tensor's shape: %s, got %s." % (shp, arr.shape))
        if arr.size == 1:
            arr = np.full(shp, arr.reshape(()), dtype=arr.dtype)
        elif arr.size == n:
            arr = arr.reshape(shp)
        elif arr.size < n:
            flat = arr.reshape(-1)
            arr = np.concatenate([flat, np.full(n - flat.size, flat[-1], dtype=flat.dtype)]
                                 ).reshape(shp)
        else:
            raise TypeError("Too many elements provided. Needed at most %d, but received %d"
                            % (n, arr.size))
    arr = np.require(arr, requirements="C")
    return _C.constant(get_default_graph(), arr, name=name)


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None, dtype_hint=None,
                      graph=None):
    """tf.convert_to_tensor: Tensors pass (dtype checked), Variables give their value,
    anything else becomes a Const with TF1's dtype inference."""
    if isinstance(value, Tensor):
        if dtype is not None:
            d = _dtypes.as_dtype(dtype)
            if d != value.dtype:
                raise ValueError("Tensor conversion requested dtype %s for Tensor with dtype "
                                 "%s: %r" % (d.name, value.dtype.name, value))
        return value
    conv = getattr(value, "_as_tensor", None)
    if conv is not None:
        t = conv()
        if dtype is not None and _dtypes.as_dtype(dtype) != t.dtype:
            raise ValueError("Tensor conversion requested dtype %s for Tensor with dtype "
                             "%s: %r" % (_dtypes.as_dtype(dtype).name, t.dtype.name, t))
        return t
    if isinstance(value, Operation):
        raise TypeError("Can't convert Operation '%s' to Tensor (target dtype=%s, name=%s, "
                        "as_ref=False)" % (value.name, dtype, name))
    if isinstance(value, (list, tuple)) and any(_is_tensorlike(v) for v in _flatten(value)):
        from . import array_ops
        return array_ops._pack_nested(value, dtype, name or "packed")
    hint = preferred_dtype if preferred_dtype is not None else dtype_hint
    if dtype is None and hint is not None:
        try:
            arr = _infer_numpy(value, hint)
            return _C.constant(graph or get_default_graph(), arr, name=name or "Const")
        except (TypeError, ValueError):
            pass
    arr = _infer_numpy(value, dtype)
    g = graph if graph is not None else get_default_graph()
    return _C.constant(g, arr, name=name or "Const")


def _is_tensorlike(v):
    from .variables import Variable
    return isinstance(v, (Tensor, Variable))


def _flatten(seq):
    for v in seq:
        if isinstance(v, (list, tuple)):
            for w in _flatten(v):
                yield w
        else:
            yield v


def convert_n_to_tensor(values, dtype=None, name=None):
    return [convert_to_tensor(v, dtype) for v in values]


def is_tensor(x):
    from .variables import Variable
    return isinstance(x, (Tensor, Variable))


def _to_tensor_like(x, other):
    """Converts a non-tensor operand to the dtype of the tensor operand `other`
    (TF1's binary operators)."""
    if isinstance(x, Tensor):
        return x
    conv = getattr(x, "_as_tensor", None)
    if conv is not None:
        return conv()
    dt = other.dtype if other is not None else None
    return convert_to_tensor(x, dtype=dt, name="y" if other is not None else None)


def _graph_for(*tensors):
    for t in tensors:
        if isinstance(t, Tensor):
            return t.graph
        g = getattr(t, "graph", None)
        if isinstance(g, Graph):
            return g
    return get_default_graph()

