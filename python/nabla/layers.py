"""tf.layers: dense, conv2d, pooling, flatten, dropout, batch_normalization.

dense and conv2d are libnabla's nb_layers_* (TF1's scopes and variable names);
options libnabla's layers do not take (custom initializers, regularizers,
reuse) build the same ops from get_variable, as TF1's Python did.
"""
from . import _nabla as _C
from . import dtypes as _dtypes
from . import nn as _nn
from . import math_ops as _m
from . import array_ops as _a
from . import variables as _v
from .framework import (Tensor, _name_scope_ctx, _graph_for, GraphKeys, TensorShape,
                        _unsupported)


def _reject_none(func, **kw):
    for k in sorted(kw):
        if kw[k] is not None:
            _unsupported(func, k, kw[k])

# nb_activation numbers (include/nabla.h)
_ACT = {}


def _act_table():
    if not _ACT:
        _ACT.update({None: 0, _nn.relu: 1, _m.sigmoid: 2, _m.tanh: 3, _nn.softmax: 4,
                     _nn.relu6: 5, _nn.leaky_relu: 6, _nn.elu: 7, _nn.selu: 8,
                     _nn.softplus: 9, _nn.softsign: 10, _nn.swish: 11, _nn.gelu: 12})
    return _ACT


def _kernel_init_code(init):
    """nb_initializer for the initializers libnabla's layers build, else None."""
    if init is None:
        return 0, None
    if isinstance(init, _v.GlorotUniform):
        return 0, init.seed
    if isinstance(init, _v.Zeros):
        return 3, None
    if isinstance(init, _v.VarianceScaling) and init.scale == 2.0 and init.mode == "fan_in":
        if init.distribution == "truncated_normal":
            return 1, init.seed
        if init.distribution == "uniform":
            return 2, init.seed
    return None, None


def _apply_activation(y, activation):
    if activation is None:
        return y
    code = _act_table().get(activation)
    if code is not None and code != 0:
        return y  # already applied by libnabla
    opname = y.op.name
    scope = opname.rsplit("/", 1)[0] + "/" if "/" in opname else ""
    with _name_scope_ctx(y.graph, scope):
        return activation(y)


def _python_dense(x, units, activation, use_bias, kernel_initializer, bias_initializer,
                  kernel_regularizer, bias_regularizer, trainable, name, reuse):
    with _v.variable_scope(name, default_name="dense", reuse=reuse):
        n_in = x.get_shape()[-1].value
        if n_in is None:
            raise ValueError("The last dimension of the inputs to `Dense` should be defined. "
                             "Found `None`.")
        kernel = _v.get_variable("kernel", [n_in, units], dtype=x.dtype,
                                 initializer=kernel_initializer or _v.GlorotUniform(),
                                 regularizer=kernel_regularizer, trainable=trainable)
        y = _m.matmul(x, kernel, name="MatMul")
        if use_bias:
            bias = _v.get_variable("bias", [units], dtype=x.dtype,
                                   initializer=bias_initializer or _v.Zeros(),
                                   regularizer=bias_regularizer, trainable=trainable)
            y = _nn.bias_add(y, bias, name="BiasAdd")
        if activation is not None:
            y = activation(y)
        return y


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
          trainable=True, name=None, reuse=None):
    """tf.layers.dense: act(inputs @ kernel + bias) in scope "dense" ("dense_1", ...)."""
    _reject_none("dense", activity_regularizer=activity_regularizer,
                 kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
    g = _graph_for(inputs)
    x = _m._tensor(inputs, g)
    code, seed = _kernel_init_code(kernel_initializer)
    simple = (code is not None and bias_initializer in (None,) and kernel_regularizer is None
              and bias_regularizer is None and trainable and not reuse
              and not _v.get_variable_scope().name)
    if simple:
        act = _act_table().get(activation, 0)
        y = _C.layers_dense(g, x, int(units), act, code, bool(use_bias), seed, name)
        return _apply_activation(y, activation)
    return _python_dense(x, int(units), activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer, trainable,
                         name, reuse)


def _pair(v):
    if isinstance(v, int):
        return v, v
    v = tuple(int(a) for a in v)
    return (v[0], v[0]) if len(v) == 1 else v


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1), activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None):
    """tf.layers.conv2d: act(conv2d(inputs, kernel) + bias) in scope "conv2d"."""
    if data_format not in ("channels_last", None):
        raise NotImplementedError("nabla supports data_format='channels_last' only")
    _reject_none("conv2d", activity_regularizer=activity_regularizer,
                 kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
    g = _graph_for(inputs)
    x = _m._tensor(inputs, g)
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(strides)
    dh, dw = _pair(dilation_rate)
    code, seed = _kernel_init_code(kernel_initializer)
    simple = (code is not None and sh == sw and dh == 1 and dw == 1 and
              bias_initializer is None and kernel_regularizer is None and
              bias_regularizer is None and trainable and not reuse and
              not _v.get_variable_scope().name)
    if simple:
        act = _act_table().get(activation, 0)
        y = _C.layers_conv2d(g, x, int(filters), kh, kw, sh, padding.upper(), act, code,
                             bool(use_bias), seed, name)
        return _apply_activation(y, activation)
    with _v.variable_scope(name, default_name="conv2d", reuse=reuse):
        cin = x.get_shape()[-1].value
        if cin is None:
            raise ValueError("The channel dimension of the inputs should be defined. "
                             "Found `None`.")
        kernel = _v.get_variable("kernel", [kh, kw, cin, int(filters)], dtype=x.dtype,
                                 initializer=kernel_initializer or _v.GlorotUniform(),
                                 regularizer=kernel_regularizer, trainable=trainable)
        y = _nn.conv2d(x, kernel, [1, sh, sw, 1], padding.upper(),
                       dilations=[1, dh, dw, 1], name="Conv2D")
        if use_bias:
            bias = _v.get_variable("bias", [int(filters)], dtype=x.dtype,
                                   initializer=bias_initializer or _v.Zeros(),
                                   regularizer=bias_regularizer, trainable=trainable)
            y = _nn.bias_add(y, bias, name="BiasAdd")
        if activation is not None:
            y = activation(y)
        return y


def _pool(fn, default, inputs, pool_size, strides, padding, data_format, name):
    if data_format not in ("channels_last", None):
        raise NotImplementedError("nabla supports data_format='channels_last' only")
    g = _graph_for(inputs)
    ph, pw = _pair(pool_size)
    sh, sw = _pair(strides)
    with _name_scope_ctx(g, name or default):
        return fn(inputs, [1, ph, pw, 1], [1, sh, sw, 1], padding.upper())


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    return _pool(_nn.max_pool, "max_pooling2d", inputs, pool_size, strides, padding,
                 data_format, name)


def average_pooling2d(inputs, pool_size, strides, padding="valid",
                      data_format="channels_last", name=None):
    return _pool(_nn.avg_pool, "average_pooling2d", inputs, pool_size, strides, padding,
                 data_format, name)


def flatten(inputs, name=None, data_format="channels_last"):
    if data_format not in ("channels_last", None):
        _unsupported("flatten", "data_format", data_format, "channels_last only")
    g = _graph_for(inputs)
    return _C.layers_flatten(g, _m._tensor(inputs, g), name)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """tf.layers.dropout: drops with probability `rate` when `training` (a bool or a
    bool tensor); the identity otherwise."""
    g = _graph_for(inputs)
    x = _m._tensor(inputs, g)
    if noise_shape is not None:
        raise NotImplementedError("nabla's dropout has no noise_shape")
    if isinstance(training, Tensor) or hasattr(training, "_as_tensor"):
        tr = _m._tensor(training, g)
        return _C.nn_dropout(g, x, 1.0 - float(rate), seed, tr, name or "dropout")
    if not training:
        with _name_scope_ctx(g, name or "dropout"):
            return _a.identity(x)
    return _C.nn_dropout(g, x, 1.0 - float(rate), seed, None, name or "dropout")


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=None, gamma_initializer=None,
                        moving_mean_initializer=None, moving_variance_initializer=None,
                        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                        gamma_constraint=None, training=False, trainable=True, name=None,
                        reuse=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                        fused=None, virtual_batch_size=None, adjustment=None):
    """tf.layers.batch_normalization over the last axis (FusedBatchNorm); the moving
    averages' updates go to the UPDATE_OPS collection, as in TF1."""
    _reject_none("batch_normalization", beta_regularizer=beta_regularizer,
                 gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                 gamma_constraint=gamma_constraint, renorm_clipping=renorm_clipping,
                 virtual_batch_size=virtual_batch_size, adjustment=adjustment)
    if renorm:
        _unsupported("batch_normalization", "renorm", renorm)
    g = _graph_for(inputs)
    x = _m._tensor(inputs, g)
    nd = x.get_shape().ndims
    if axis not in (-1, (nd - 1) if nd else -1):
        raise NotImplementedError("nabla's batch_normalization normalizes the last axis only")
    c = x.get_shape()[-1].value
    if c is None:
        raise ValueError("Input has undefined `axis` dimension.")
    with _v.variable_scope(name, default_name="batch_normalization", reuse=reuse):
        gamma = _v.get_variable("gamma", [c], dtype=x.dtype,
                                initializer=gamma_initializer or _v.Ones(),
                                trainable=trainable and scale)
        beta = _v.get_variable("beta", [c], dtype=x.dtype,
                               initializer=beta_initializer or _v.Zeros(),
                               trainable=trainable and center)
        mm = _v.get_variable("moving_mean", [c], dtype=x.dtype,
                             initializer=moving_mean_initializer or _v.Zeros(), trainable=False)
        mv = _v.get_variable("moving_variance", [c], dtype=x.dtype,
                             initializer=moving_variance_initializer or _v.Ones(),
                             trainable=False)

        xin = x

        def train_branch():
            y, bm, bv = _nn.fused_batch_norm(xin, gamma, beta, None, None, epsilon,
                                             is_training=True, name="FusedBatchNorm")
            d = 1.0 - momentum
            up_m = mm.assign_sub(_m.multiply(_m.subtract(mm, bm), d), name="AssignMovingAvg")
            up_v = mv.assign_sub(_m.multiply(_m.subtract(mv, bv), d),
                                 name="AssignMovingAvg_1")
            g.add_to_collection(GraphKeys.UPDATE_OPS, up_m)
            g.add_to_collection(GraphKeys.UPDATE_OPS, up_v)
            return y

        def infer_branch():
            y, _, _ = _nn.fused_batch_norm(xin, gamma, beta, mm, mv, epsilon,
                                           is_training=False, name="FusedBatchNorm")
            return y

        if isinstance(training, Tensor) or hasattr(training, "_as_tensor"):
            yt = train_branch()
            yi = infer_branch()
            return _a.where(_m._tensor(training, g), yt, yi)
        return train_branch() if training else infer_branch()


class Layer(object):
    """Minimal tf.layers.Layer base: call(inputs) through __call__."""

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        self.trainable = trainable
        self.name = name

    def __call__(self, inputs, *args, **kwargs):
        return self.call(inputs, *args, **kwargs)

    def apply(self, inputs, *args, **kwargs):
        return self.__call__(inputs, *args, **kwargs)


class Dense(Layer):
    def __init__(self, units, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=None, name=None, **kwargs):
        for k in sorted(kwargs):
            if k not in ("trainable", "dtype", "_reuse", "_scope") and kwargs[k] is not None:
                _unsupported("layers.Dense", k, kwargs[k])
        Layer.__init__(self, name=name)
        self.units, self.activation, self.use_bias = units, activation, use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def call(self, inputs):
        return dense(inputs, self.units, self.activation, self.use_bias,
                     self.kernel_initializer, self.bias_initializer, name=self.name)


class Flatten(Layer):
    def call(self, inputs):
        return flatten(inputs, name=self.name)


class Dropout(Layer):
    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, **kwargs):
        if noise_shape is not None:
            _unsupported("layers.Dropout", "noise_shape", noise_shape)
        Layer.__init__(self, name=name)
        self.rate, self.seed = rate, seed

    def call(self, inputs, training=False):
        return dropout(inputs, self.rate, None, self.seed, training, self.name)
