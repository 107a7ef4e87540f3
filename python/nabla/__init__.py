"""nabla: TensorFlow 1.x's graph model in C, with TF1's Python namespace.

    import nabla as tf            # or: import nabla.compat.v1 as tf

Every graph rule, name and error message is libnabla's (include/nabla.h); this
package maps TF1's Python names, argument names and defaults onto the C
extension nabla._nabla.
"""
from . import _nabla
from . import dtypes
from .dtypes import (DType, as_dtype, float16, half, float32, float64, double, int8, int16,
                     int32, int64, uint8, uint16, bool, string, complex64)
from . import errors
from .errors import OpError

_nabla.set_error_classes(errors.NB_STATUS_CLASSES)

from . import framework  # noqa: E402  (registers Tensor / Operation with _nabla)
from .framework import (Graph, GraphDef, GraphKeys, Tensor, Operation, TensorShape, Dimension,  # noqa: E402
                        get_default_graph, reset_default_graph, name_scope,
                        control_dependencies, get_collection, get_collection_ref,
                        add_to_collection, add_to_collections, set_random_seed, constant,
                        convert_to_tensor, convert_n_to_tensor, is_tensor, device, as_shape,
                        dimension_value)
from .math_ops import (add, subtract, multiply, divide, div, truediv, floordiv, floor_div,  # noqa: E402
                       floormod, mod, pow, maximum, minimum, squared_difference, add_n,
                       accumulate_n, scalar_mul, negative, neg, abs, sign, square, sqrt, rsqrt,
                       exp, log, log1p, reciprocal, sigmoid, tanh, floor, ceil, round, equal,
                       not_equal, less, less_equal, greater, greater_equal, logical_and,
                       logical_or, logical_not, logical_xor, cast, to_float, to_double,
                       to_int32, to_int64, saturate_cast, clip_by_value, matmul, reduce_sum,
                       reduce_mean, reduce_prod, reduce_max, reduce_min, reduce_any,
                       reduce_all, reduce_logsumexp, argmax, argmin, arg_max, arg_min,
                       count_nonzero, realdiv, sin, cos, tan, asin, acos, atan, sinh,
                       cosh, erf, expm1, is_nan, is_inf, is_finite, cumsum, cumprod)
from .array_ops import (placeholder, placeholder_with_default, zeros, ones, fill,  # noqa: E402
                        zeros_like, ones_like, range, linspace, lin_space, random_normal,
                        truncated_normal, random_uniform, identity, stop_gradient, reshape,
                        transpose, expand_dims, squeeze, concat, stack, pack, unstack, unpack,
                        split, slice, strided_slice, gather, unsorted_segment_sum, tile, pad,
                        one_hot, shape, size, rank, where, where_v2, boolean_mask, no_op, group, tuple,
                        Print, check_numerics, newaxis, broadcast_to, reverse, reverse_v2,
                        matrix_diag, matrix_diag_part, matrix_set_diag, eye, trace, gather_nd,
                        scatter_nd)
from .variables import (Variable, VariableScope, global_variables, all_variables,  # noqa: E402
                        trainable_variables, local_variables, model_variables,
                        moving_average_variables, global_variables_initializer,
                        initialize_all_variables, variables_initializer, initialize_variables,
                        local_variables_initializer, initialize_local_variables, assign,
                        assign_add, assign_sub, get_variable, get_local_variable,
                        variable_scope, get_variable_scope, AUTO_REUSE, zeros_initializer,
                        ones_initializer, constant_initializer, random_normal_initializer,
                        truncated_normal_initializer, random_uniform_initializer,
                        variance_scaling_initializer, glorot_uniform_initializer,
                        glorot_normal_initializer)
from .session import (Session, InteractiveSession, get_default_session, ConfigProto,  # noqa: E402
                      GPUOptions, RunOptions, RunMetadata, GraphOptions, OptimizerOptions)
from .train import gradients  # noqa: E402
from .control_flow import cond, while_loop, case, map_fn, scan, foldl, foldr, py_func  # noqa: E402
from . import nn, layers, train, summary, losses, app, flags, gfile, logging  # noqa: E402
from . import initializers, contrib  # noqa: E402
from . import compat  # noqa: E402

NABLA_VERSION = _nabla.version()
VERSION = "1.15.0"
__version__ = VERSION + "+nabla." + NABLA_VERSION
GIT_VERSION = "nabla-" + NABLA_VERSION
COMPILER_VERSION = "C11"
GRAPH_DEF_VERSION = 27


def set_num_threads(n):
    """nabla: threads used by kernels and the BLAS (default: every core)."""
    _nabla.set_num_threads(int(n))


def get_num_threads():
    return _nabla.get_num_threads()


def executing_eagerly():
    return False


def disable_eager_execution():
    pass


def disable_v2_behavior():
    pass


def enable_eager_execution(*args, **kwargs):
    raise NotImplementedError("nabla is TF1's graph mode only: no eager execution")


def import_graph_def(graph_def, input_map=None, return_elements=None, name=None,
                     op_dict=None, producer_op_list=None):
    """Adds a serialized GraphDef's nodes to the default graph (prefix `name`, "import")."""
    if input_map or return_elements:
        raise NotImplementedError("nabla's import_graph_def has no input_map/return_elements")
    data = graph_def.SerializeToString() if hasattr(graph_def, "SerializeToString") else \
        bytes(graph_def)
    _nabla.import_graphdef(get_default_graph(), data, "import" if name is None else name)


def get_seed(op_seed):
    return framework.get_seed(op_seed)


class _Namespace(object):
    def __init__(self, **kw):
        self.__dict__.update(kw)


random = _Namespace(normal=random_normal, uniform=random_uniform,
                    truncated_normal=truncated_normal, set_random_seed=set_random_seed)
math = _Namespace(add=add, subtract=subtract, multiply=multiply, divide=divide, pow=pow,
                  maximum=maximum, minimum=minimum, squared_difference=squared_difference,
                  negative=negative, abs=abs, sign=sign, square=square, sqrt=sqrt, rsqrt=rsqrt,
                  exp=exp, log=log, log1p=log1p, reciprocal=reciprocal, sigmoid=sigmoid,
                  tanh=tanh, floor=floor, ceil=ceil, round=round, equal=equal,
                  not_equal=not_equal, less=less, less_equal=less_equal, greater=greater,
                  greater_equal=greater_equal, logical_and=logical_and, logical_or=logical_or,
                  logical_not=logical_not, logical_xor=logical_xor, reduce_sum=reduce_sum,
                  reduce_mean=reduce_mean, reduce_prod=reduce_prod, reduce_max=reduce_max,
                  reduce_min=reduce_min, argmax=argmax, argmin=argmin, add_n=add_n,
                  floordiv=floordiv, truediv=truediv, count_nonzero=count_nonzero,
                  reduce_logsumexp=reduce_logsumexp, softplus=nn.softplus, cumsum=cumsum,
                  cumprod=cumprod)
debugging = _Namespace(check_numerics=check_numerics)
