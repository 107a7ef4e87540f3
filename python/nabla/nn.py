"""tf.nn: activations, softmax and losses, dropout, convolution and pooling."""
import numpy as np

from . import _nabla as _C
from . import dtypes as _dtypes
from .framework import Tensor, _name_scope_ctx, _graph_for, get_default_graph, _unsupported, _py_int
from .math_ops import (_tensor, _unary, sigmoid, tanh, reduce_mean, reduce_sum, square,
                       subtract, multiply, add, rsqrt, sqrt, maximum, matmul)
from . import array_ops as _array_ops

relu = _unary(_C.nn_relu, "Relu")
relu6 = _unary(_C.nn_relu6, "Relu6")
elu = _unary(_C.nn_elu, "Elu")
selu = _unary(_C.nn_selu, "Selu")
softplus = _unary(_C.nn_softplus, "Softplus")
softsign = _unary(_C.nn_softsign, "Softsign")
swish = _unary(_C.nn_swish, "swish")
l2_loss = _unary(_C.nn_l2_loss, "L2Loss")
sigmoid = sigmoid
tanh = tanh


def leaky_relu(features, alpha=0.2, name=None):
    g = _graph_for(features)
    with _name_scope_ctx(g, name or "LeakyRelu") as scope:
        return _C.nn_leaky_relu(g, _tensor(features, g, name="features"), float(alpha), scope)


def gelu(features, approximate=False, name=None):
    g = _graph_for(features)
    return _C.nn_gelu(g, _tensor(features, g), bool(approximate), name or "Gelu")


def _last_axis(logits, axis, what):
    if axis is None or axis == -1:
        return
    nd = logits.get_shape().ndims
    if nd is not None and axis == nd - 1:
        return
    raise NotImplementedError("nabla's %s works over the last axis only (axis=-1)" % what)


def softmax(logits, axis=None, name=None, dim=None):
    if axis is None:
        axis = dim
    g = _graph_for(logits)
    x = _tensor(logits, g, name="logits")
    _last_axis(x, axis, "softmax")
    return _C.nn_softmax(g, x, name or "Softmax")


def log_softmax(logits, axis=None, name=None, dim=None):
    if axis is None:
        axis = dim
    g = _graph_for(logits)
    x = _tensor(logits, g, name="logits")
    _last_axis(x, axis, "log_softmax")
    return _C.nn_log_softmax(g, x, name or "LogSoftmax")


def _sentinel_check(sentinel, fname):
    if sentinel is not None:
        raise ValueError("Only call `%s` with named arguments (labels=..., logits=..., ...)"
                         % fname)


def softmax_cross_entropy_with_logits_v2(_sentinel=None, labels=None, logits=None, axis=None,
                                         name=None, dim=None):
    """Softmax cross entropy per row; gradients flow into labels too (TF1's _v2)."""
    _sentinel_check(_sentinel, "softmax_cross_entropy_with_logits_v2")
    if labels is None or logits is None:
        raise ValueError("Both labels=... and logits=... must be provided.")
    if axis is None:
        axis = dim
    g = _graph_for(logits, labels)
    with _name_scope_ctx(g, name or "softmax_cross_entropy_with_logits") as scope:
        lg = _tensor(logits, g, name="logits")
        lb = _tensor(labels, g, dtype=lg.dtype, name="labels")
        _last_axis(lg, axis, "softmax_cross_entropy_with_logits")
        return _C.nn_softmax_cross_entropy_with_logits(g, lb, lg, scope)


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1,
                                      name=None, axis=None):
    """TF1's deprecated v1: as _v2 with labels behind a stop_gradient."""
    _sentinel_check(_sentinel, "softmax_cross_entropy_with_logits")
    if labels is None or logits is None:
        raise ValueError("Both labels=... and logits=... must be provided.")
    g = _graph_for(logits, labels)
    with _name_scope_ctx(g, name or "softmax_cross_entropy_with_logits_sg") as scope:
        lb = _tensor(labels, g, name="labels")
        lb = _C.stop_gradient(g, lb, "labels_stop_gradient")
        return softmax_cross_entropy_with_logits_v2(labels=lb, logits=logits,
                                                    axis=axis if axis is not None else dim,
                                                    name=scope)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None,
                                             name=None):
    _sentinel_check(_sentinel, "sparse_softmax_cross_entropy_with_logits")
    if labels is None or logits is None:
        raise ValueError("Both labels=... and logits=... must be provided.")
    g = _graph_for(logits, labels)
    lg = _tensor(logits, g, name="logits")
    lb = _tensor(labels, g, name="labels")
    return _C.nn_sparse_softmax_cross_entropy_with_logits(g, lb, lg, name)


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    _sentinel_check(_sentinel, "sigmoid_cross_entropy_with_logits")
    if labels is None or logits is None:
        raise ValueError("Both labels=... and logits=... must be provided.")
    g = _graph_for(logits, labels)
    lg = _tensor(logits, g, name="logits")
    lb = _tensor(labels, g, dtype=lg.dtype, name="labels")
    return _C.nn_sigmoid_cross_entropy_with_logits(g, lb, lg, name)


def weighted_cross_entropy_with_logits(targets, logits, pos_weight, name=None):
    raise NotImplementedError("nabla has no weighted_cross_entropy_with_logits")


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """tf.nn.dropout(x, keep_prob): keeps each element with probability keep_prob,
    scaled by 1/keep_prob (keep_prob may be a fed tensor)."""
    if noise_shape is not None:
        raise NotImplementedError("nabla's dropout has no noise_shape")
    if keep_prob is None:
        if rate is None:
            raise ValueError("Either keep_prob or rate must be given")
        keep_prob = 1.0 - rate if not isinstance(rate, Tensor) else 1.0 - rate
    g = _graph_for(x, keep_prob)
    xt = _tensor(x, g, name="x")
    if isinstance(keep_prob, Tensor) or hasattr(keep_prob, "_as_tensor"):
        kp = _tensor(keep_prob, g)
        if kp.dtype != xt.dtype:
            from .math_ops import cast
            kp = cast(kp, xt.dtype)
        return _C.nn_dropout(g, xt, kp, seed, None, name)
    return _C.nn_dropout(g, xt, float(keep_prob), seed, None, name)


def _four(v, what):
    if isinstance(v, (int, np.integer)):
        return [1, int(v), int(v), 1]
    v = [int(a) for a in v]
    if len(v) == 1:
        return [1, v[0], v[0], 1]
    if len(v) == 2:
        return [1, v[0], v[1], 1]
    return v


def _padding_str(padding, func):
    if not isinstance(padding, str):
        _unsupported(func, "padding", padding, "explicit paddings; use 'SAME' or 'VALID' "
                     "(or tf.pad first)")


def _nhwc(data_format):
    if data_format not in (None, "NHWC", "channels_last"):
        raise NotImplementedError("nabla supports data_format='NHWC' only, not %r"
                                  % (data_format,))


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True,
           data_format="NHWC", dilations=None, name=None, filters=None):
    if filter is None:
        filter = filters
    _nhwc(data_format)
    _padding_str(padding, "conv2d")
    padding = padding.upper()
    g = _graph_for(input, filter)
    with _name_scope_ctx(g, name or "Conv2D") as scope:
        x = _tensor(input, g, name="input")
        f = _tensor(filter, g, dtype=x.dtype, name="filter")
        return _C.nn_conv2d(g, x, f, _four(strides, "strides"), padding,
                            None if dilations is None else _four(dilations, "dilations"),
                            scope)


def conv2d_backprop_input(input_sizes, filter, out_backprop, strides, padding,
                          use_cudnn_on_gpu=True, data_format="NHWC", dilations=None, name=None):
    _nhwc(data_format)
    g = _graph_for(filter, out_backprop)
    s = _tensor(input_sizes, g, dtype=_dtypes.int32)
    return _C.nn_conv2d_backprop_input(g, s, _tensor(filter, g), _tensor(out_backprop, g),
                                       _four(strides, "strides"), padding.upper(),
                                       None if dilations is None else _four(dilations, "d"),
                                       name or "Conv2DBackpropInput")


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,
                           use_cudnn_on_gpu=True, data_format="NHWC", dilations=None,
                           name=None):
    _nhwc(data_format)
    g = _graph_for(input, out_backprop)
    s = _tensor(filter_sizes, g, dtype=_dtypes.int32)
    return _C.nn_conv2d_backprop_filter(g, _tensor(input, g), s, _tensor(out_backprop, g),
                                        _four(strides, "strides"), padding.upper(),
                                        None if dilations is None else _four(dilations, "d"),
                                        name or "Conv2DBackpropFilter")


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):
    if value is None:
        value = input
    _nhwc(data_format)
    _padding_str(padding, "max_pool")
    g = _graph_for(value)
    return _C.nn_max_pool(g, _tensor(value, g), _four(ksize, "ksize"), _four(strides, "strides"),
                          padding.upper(), name or "MaxPool")


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):
    if value is None:
        value = input
    _nhwc(data_format)
    _padding_str(padding, "avg_pool")
    g = _graph_for(value)
    return _C.nn_avg_pool(g, _tensor(value, g), _four(ksize, "ksize"), _four(strides, "strides"),
                          padding.upper(), name or "AvgPool")


def bias_add(value, bias, data_format=None, name=None):
    _nhwc(data_format)
    g = _graph_for(value, bias)
    with _name_scope_ctx(g, name or "BiasAdd") as scope:
        v = _tensor(value, g, name="input")
        b = _tensor(bias, g, dtype=v.dtype, name="bias")
        return _C.nn_bias_add(g, v, b, scope)


def xw_plus_b(x, weights, biases, name=None):
    g = _graph_for(x, weights, biases)
    with _name_scope_ctx(g, name or "xw_plus_b") as scope:
        mm = matmul(x, weights)
        return bias_add(mm, biases, name=scope)


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """tf.nn.moments: mean and (biased) variance over axes."""
    if keepdims is None:
        keepdims = bool(keep_dims)
    g = _graph_for(x)
    with _name_scope_ctx(g, name or "moments"):
        y = _tensor(x, g)
        mean = reduce_mean(y, axes, keepdims=True, name="mean")
        from .array_ops import stop_gradient, squeeze
        variance = reduce_mean(square(subtract(y, stop_gradient(mean))), axes, keepdims=True,
                               name="variance")
        if not keepdims:
            mean = squeeze(mean, axes)
            variance = squeeze(variance, axes)
        return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    g = _graph_for(x, mean, variance)
    with _name_scope_ctx(g, name or "batchnorm"):
        inv = rsqrt(add(variance, variance_epsilon))
        if scale is not None:
            inv = multiply(inv, scale)
        off = subtract(offset, multiply(mean, inv)) if offset is not None else \
            multiply(mean, inv) * -1.0
        return add(multiply(x, inv), off)


def fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001,
                     data_format="NHWC", is_training=True, name=None):
    _nhwc(data_format)
    g = _graph_for(x)
    r = _C.nn_fused_batch_norm(g, _tensor(x, g), _tensor(scale, g), _tensor(offset, g),
                               None if mean is None else _tensor(mean, g),
                               None if variance is None else _tensor(variance, g),
                               float(epsilon), bool(is_training), name or "FusedBatchNorm")
    if isinstance(r, tuple):
        return r
    op = r.op
    return op.outputs[0], op.outputs[1], op.outputs[2]


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    if axis is None:
        axis = dim
    g = _graph_for(x)
    with _name_scope_ctx(g, name or "l2_normalize") as scope:
        y = _tensor(x, g)
        ss = reduce_sum(square(y), axis, keepdims=True)
        inv = rsqrt(maximum(ss, epsilon))
        return multiply(y, inv, name=scope)


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True,
                     max_norm=None):
    if max_norm is not None:
        _unsupported("embedding_lookup", "max_norm", max_norm, "rows are not clipped")
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError("nabla's embedding_lookup takes one params tensor")
        params = params[0]
    return _array_ops.gather(params, ids, name=name or "embedding_lookup")


def in_top_k(predictions, targets, k, name=None):
    """tf.nn.in_top_k: whether targets[i] is among the k largest of predictions[i]."""
    g = _graph_for(predictions, targets)
    p = _tensor(predictions, g, name="predictions")
    t = _tensor(targets, g, name="targets")
    return _C.in_top_k(g, p, t, int(k), name)


def top_k(input, k=1, sorted=True, name=None):  # noqa: A002
    """tf.nn.top_k: (values, indices) of the k largest entries of the last axis."""
    g = _graph_for(input)
    r = _C.top_k(g, _tensor(input, g, name="input"), _py_int(k, "top_k", "k"), bool(sorted), name)
    if isinstance(r, (list, tuple)):
        return tuple(r)
    return r.op.outputs[0], r.op.outputs[1]


def zero_fraction(value, name=None):
    from .math_ops import equal, cast
    g = _graph_for(value)
    with _name_scope_ctx(g, name or "zero_fraction"):
        v = _tensor(value, g)
        return reduce_mean(cast(equal(v, _tensor(0, g, dtype=v.dtype)), _dtypes.float32))
