"""A small part of tf.contrib that TF1 tutorials use (tf.contrib itself is out of
scope): contrib.layers' initializers, regularizers, flatten and fully_connected."""
from . import math_ops as _m
from . import nn as _nn
from . import variables as _v
from . import layers as _layers


class _Namespace(object):
    def __init__(self, **kw):
        self.__dict__.update(kw)


def _xavier_initializer(uniform=True, seed=None, dtype=None):
    from . import dtypes
    return _v.xavier_initializer(uniform, seed, dtype or dtypes.float32)


def _variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None,
                                  dtype=None):
    from . import dtypes
    return _v.VarianceScaling(factor, mode.lower(), "uniform" if uniform else
                              "truncated_normal", seed, dtype or dtypes.float32)


def _l2_regularizer(scale, scope=None):
    def reg(weights):
        return _m.multiply(_nn.l2_loss(weights), float(scale), name=scope or "l2_regularizer")
    return reg


def _l1_regularizer(scale, scope=None):
    def reg(weights):
        return _m.multiply(_m.reduce_sum(_m.abs(weights)), float(scale),
                           name=scope or "l1_regularizer")
    return reg


def _flatten(inputs, outputs_collections=None, scope=None):
    return _layers.flatten(inputs, name=scope or "Flatten")


def _fully_connected(inputs, num_outputs, activation_fn=_nn.relu, normalizer_fn=None,
                     normalizer_params=None, weights_initializer=None,
                     weights_regularizer=None, biases_initializer=_v.Zeros(),
                     biases_regularizer=None, reuse=None, variables_collections=None,
                     outputs_collections=None, trainable=True, scope=None):
    if normalizer_fn is not None:
        raise NotImplementedError("nabla's fully_connected has no normalizer_fn")
    with _v.variable_scope(scope, default_name="fully_connected", reuse=reuse):
        x = _m._tensor(inputs, _m._graph(inputs))
        n_in = x.get_shape()[-1].value
        w = _v.get_variable("weights", [n_in, int(num_outputs)], dtype=x.dtype,
                            initializer=weights_initializer or _v.GlorotUniform(),
                            regularizer=weights_regularizer, trainable=trainable)
        y = _m.matmul(x, w)
        if biases_initializer is not None:
            b = _v.get_variable("biases", [int(num_outputs)], dtype=x.dtype,
                                initializer=biases_initializer,
                                regularizer=biases_regularizer, trainable=trainable)
            y = _nn.bias_add(y, b)
        return activation_fn(y) if activation_fn is not None else y


layers = _Namespace(xavier_initializer=_xavier_initializer,
                    xavier_initializer_conv2d=_xavier_initializer,
                    variance_scaling_initializer=_variance_scaling_initializer,
                    l2_regularizer=_l2_regularizer, l1_regularizer=_l1_regularizer,
                    flatten=_flatten, fully_connected=_fully_connected)
