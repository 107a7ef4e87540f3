"""tf.losses (TF1): mean_squared_error, softmax / sparse softmax / sigmoid cross
entropy with weights 1 and TF1's SUM_BY_NONZERO_WEIGHTS mean; the collection LOSSES."""
from . import _nabla as _C
from . import math_ops as _m
from . import nn as _nn
from .framework import GraphKeys, get_default_graph, _graph_for, _name_scope_ctx


class Reduction(object):
    NONE = "none"
    SUM = "weighted_sum"
    MEAN = "weighted_mean"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"


def _unit_weights(weights, reduction=None):
    if not (isinstance(weights, (int, float)) and weights == 1.0):
        raise NotImplementedError("nabla's tf.losses take weights=1.0 only")
    if reduction not in (None, Reduction.SUM_BY_NONZERO_WEIGHTS, Reduction.MEAN,
                         Reduction.SUM_OVER_BATCH_SIZE):
        raise NotImplementedError("nabla's tf.losses return the mean loss only; reduction=%r "
                                  "is not supported (see docs/tf1_arguments.md)" % (reduction,))


def _add(loss, loss_collection):
    if loss_collection:
        get_default_graph().add_to_collection(loss_collection, loss)
    return loss


def add_loss(loss, loss_collection=GraphKeys.LOSSES):
    _add(loss, loss_collection)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES):
    return get_default_graph().get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
    return get_default_graph().get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    ls = get_regularization_losses(scope)
    if not ls:
        return _m._tensor(0.0, get_default_graph(), name=name)
    return _m.add_n(ls, name=name)


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None):
    ls = get_losses(scope)
    if add_regularization_losses:
        ls = ls + get_regularization_losses(scope)
    return _m.add_n(ls, name=name)


def mean_squared_error(labels, predictions, weights=1.0, scope=None,
                       loss_collection=GraphKeys.LOSSES,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    _unit_weights(weights, reduction)
    g = _graph_for(labels, predictions)
    p = _m._tensor(predictions, g)
    lb = _m._tensor(labels, g, dtype=p.dtype)
    return _add(_C.losses_mean_squared_error(g, lb, p, scope), loss_collection)


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    _unit_weights(weights, reduction)
    if label_smoothing:
        raise NotImplementedError("nabla's softmax_cross_entropy has no label_smoothing")
    g = _graph_for(logits)
    with _name_scope_ctx(g, scope or "softmax_cross_entropy_loss"):
        lg = _m._tensor(logits, g)
        lb = _m.cast(_m._tensor(onehot_labels, g), lg.dtype)
        per = _nn.softmax_cross_entropy_with_logits_v2(labels=_C.stop_gradient(g, lb, None),
                                                       logits=lg)
        return _add(_m.reduce_mean(per, name="value"), loss_collection)


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None,
                                 loss_collection=GraphKeys.LOSSES,
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    _unit_weights(weights, reduction)
    g = _graph_for(logits)
    with _name_scope_ctx(g, scope or "sparse_softmax_cross_entropy_loss"):
        per = _nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        return _add(_m.reduce_mean(per, name="value"), loss_collection)


def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0,
                          scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    _unit_weights(weights, reduction)
    if label_smoothing:
        raise NotImplementedError("nabla's sigmoid_cross_entropy has no label_smoothing")
    g = _graph_for(logits)
    with _name_scope_ctx(g, scope or "sigmoid_cross_entropy_loss"):
        lg = _m._tensor(logits, g)
        lb = _m.cast(_m._tensor(multi_class_labels, g), lg.dtype)
        per = _nn.sigmoid_cross_entropy_with_logits(labels=lb, logits=lg)
        return _add(_m.reduce_mean(per, name="value"), loss_collection)


def absolute_difference(labels, predictions, weights=1.0, scope=None,
                        loss_collection=GraphKeys.LOSSES,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    _unit_weights(weights, reduction)
    g = _graph_for(predictions)
    with _name_scope_ctx(g, scope or "absolute_difference"):
        p = _m._tensor(predictions, g)
        lb = _m._tensor(labels, g, dtype=p.dtype)
        return _add(_m.reduce_mean(_m.abs(_m.subtract(p, lb)), name="value"), loss_collection)
