"""tf.train: optimizers (libnabla's nb_train_*), global step, learning-rate decay,
Saver and checkpoint lookup."""
import os
import time as _time

import numpy as np

from . import _nabla as _C
from . import dtypes as _dtypes
from . import math_ops as _m
from . import errors as _errors
from .framework import (Tensor, Operation, get_default_graph, _name_scope_ctx, _graph_for,
                        GraphKeys, convert_to_tensor, _unsupported)
from .variables import Variable


def _out(v):
    """The output libnabla takes for a variable or tensor."""
    if isinstance(v, Variable):
        return v._read
    if isinstance(v, Tensor):
        return v
    conv = getattr(v, "_as_tensor", None)
    if conv is not None:
        return conv()
    raise TypeError("Argument is not a tf.Variable: %r" % (v,))


def _as_var(read):
    return Variable._from_read(read)


# ---------------------------------------------------------------- gradients

def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False,
              gate_gradients=False, aggregation_method=None, stop_gradients=None):
    """tf.gradients: d(sum ys)/d x for each x (None where ys do not depend on x)."""
    if stop_gradients:
        _unsupported("gradients", "stop_gradients", stop_gradients,
                     "wrap those tensors in tf.stop_gradient instead")
    single_x = not isinstance(xs, (list, tuple))
    ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    xs = [xs] if single_x else list(xs)
    g = _graph_for(*(ys + xs))
    yts = [_m._tensor(y, g) for y in ys]
    xts = [_out(x) for x in xs]
    gys = None
    if grad_ys is not None:
        grad_ys = list(grad_ys) if isinstance(grad_ys, (list, tuple)) else [grad_ys]
        gys = [_m._tensor(gy, g, dtype=y.dtype) for gy, y in zip(grad_ys, yts)]
    return list(_C.gradients(g, yts, xts, gys))


# ---------------------------------------------------------------- optimizers

class Optimizer(object):
    """Base of TF1's optimizers: minimize = compute_gradients + apply_gradients."""

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking, name):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._handles = {}

    def get_name(self):
        return self._name

    def _make(self, g):
        raise NotImplementedError

    def _handle(self, g):
        h = self._handles.get(id(g))
        if h is None:
            lr = self._learning_rate
            if callable(lr) and not isinstance(lr, (Tensor, Variable)):
                lr = lr()
            if isinstance(lr, Tensor) or hasattr(lr, "_as_tensor"):
                lr = _m._tensor(lr, g)
                if lr.dtype != _dtypes.float32 and lr.dtype != _dtypes.float64:
                    lr = _m.cast(lr, _dtypes.float32)
            else:
                lr = float(lr)
            h = (self._make(g, lr), g)
            self._handles[id(g)] = h
        return h[0]

    def _vars(self, g, var_list):
        if var_list is None:
            var_list = g.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        return list(var_list)

    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP,
                          aggregation_method=None, colocate_gradients_with_ops=False,
                          grad_loss=None):
        if grad_loss is not None:
            _unsupported("compute_gradients", "grad_loss", grad_loss)
        if callable(loss):
            loss = loss()
        g = _graph_for(loss)
        loss = _m._tensor(loss, g)
        vs = self._vars(g, var_list)
        if not vs:
            raise ValueError("No variables to optimize.")
        h = self._handle(g)
        grads, _ = h.compute_gradients(loss, [_out(v) for v in vs])
        return [(gr, v) for gr, v in zip(grads, vs)]

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        gv = [(gr, v) for gr, v in grads_and_vars]
        if not gv:
            raise ValueError("No variables provided.")
        if all(gr is None for gr, _ in gv):
            raise ValueError("No gradients provided for any variable, check your graph for "
                             "ops that do not support gradients, between variables %s and "
                             "loss." % ([str(v) for _, v in gv],))
        g = _graph_for(*[v for _, v in gv])
        h = self._handle(g)
        pairs = [(gr, v) for gr, v in gv if gr is not None]
        grads = [_m._tensor(gr, g) for gr, _ in pairs]
        vars_ = [_out(v) for _, v in pairs]
        return h.apply_gradients(grads, vars_,
                                 None if global_step is None else _out(global_step)).op

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None):
        """One training step: the op that updates var_list (all trainable variables)
        along -gradient(loss), then increments global_step."""
        if grad_loss is not None:
            _unsupported("minimize", "grad_loss", grad_loss)
        g = _graph_for(loss)
        loss = _m._tensor(loss, g)
        vs = self._vars(g, var_list)
        h = self._handle(g)
        return h.minimize(loss, [_out(v) for v in vs] if var_list is not None else None,
                          None if global_step is None else _out(global_step)).op

    def get_slot_names(self):
        return []

    def variables(self):
        return []


class GradientDescentOptimizer(Optimizer):
    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        Optimizer.__init__(self, use_locking, name)
        self._learning_rate = learning_rate

    def _make(self, g, lr):
        return _C.train_gradient_descent(g, lr)


class MomentumOptimizer(Optimizer):
    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum",
                 use_nesterov=False):
        Optimizer.__init__(self, use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _make(self, g, lr):
        return _C.train_momentum(g, lr, float(self._momentum), float(bool(self._use_nesterov)))


class AdagradOptimizer(Optimizer):
    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False,
                 name="Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: %s"
                             % initial_accumulator_value)
        Optimizer.__init__(self, use_locking, name)
        self._learning_rate = learning_rate
        self._iav = initial_accumulator_value

    def _make(self, g, lr):
        return _C.train_adagrad(g, lr, float(self._iav))


class RMSPropOptimizer(Optimizer):
    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking=False,
                 centered=False, name="RMSProp"):
        if centered:
            raise NotImplementedError("nabla's RMSProp is not centered")
        Optimizer.__init__(self, use_locking, name)
        self._learning_rate = learning_rate
        self._decay, self._momentum, self._epsilon = decay, momentum, epsilon

    def _make(self, g, lr):
        return _C.train_rmsprop(g, lr, float(self._decay), float(self._momentum),
                                float(self._epsilon))


class AdamOptimizer(Optimizer):
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08,
                 use_locking=False, name="Adam"):
        Optimizer.__init__(self, use_locking, name)
        self._learning_rate = learning_rate
        self._beta1, self._beta2, self._epsilon = beta1, beta2, epsilon

    def _make(self, g, lr):
        return _C.train_adam(g, lr, float(self._beta1), float(self._beta2),
                             float(self._epsilon))


# ---------------------------------------------------------------- global step

def get_global_step(graph=None):
    g = graph or get_default_graph()
    coll = g.get_collection(GraphKeys.GLOBAL_STEP)
    if len(coll) == 1:
        return coll[0]
    if len(coll) > 1:
        raise TypeError("Multiple tensors in global_step collection.")
    t = g.output_by_name("global_step:0")
    if t is None:
        return None
    return Variable._from_read(g.output_by_name("global_step/read:0") or t)


def create_global_step(graph=None):
    g = graph or get_default_graph()
    if get_global_step(g) is not None:
        raise ValueError("\"global_step\" already exists.")
    with g.as_default():
        read = _C.train_create_global_step(g)
    v = Variable._from_read(read)
    g.add_to_collection(GraphKeys.GLOBAL_STEP, v)
    return v


def get_or_create_global_step(graph=None):
    g = graph or get_default_graph()
    v = get_global_step(g)
    return v if v is not None else create_global_step(g)


def global_step(sess, global_step_tensor):
    return int(sess.run(global_step_tensor))


# ---------------------------------------------------------------- learning rates

def _step_float(global_step, g):
    gs = _m._tensor(global_step, g)
    return _m.cast(gs, _dtypes.float32)


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """lr * decay_rate ^ (global_step / decay_steps) (floored when staircase)."""
    if global_step is None:
        raise ValueError("global_step is required for exponential_decay.")
    g = _graph_for(global_step)
    with _name_scope_ctx(g, name or "ExponentialDecay") as scope:
        lr = _m._tensor(learning_rate, g, dtype=_dtypes.float32, name="learning_rate")
        step = _step_float(global_step, g)
        ds = _m._tensor(decay_steps, g, dtype=_dtypes.float32)
        dr = _m._tensor(decay_rate, g, dtype=_dtypes.float32)
        p = _m.truediv(step, ds)
        if staircase:
            p = _m.floor(p)
        return _m.multiply(lr, _m.pow(dr, p), name=scope)


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                       name=None):
    g = _graph_for(global_step)
    with _name_scope_ctx(g, name or "InverseTimeDecay") as scope:
        lr = _m._tensor(learning_rate, g, dtype=_dtypes.float32, name="learning_rate")
        p = _m.truediv(_step_float(global_step, g), float(decay_steps))
        if staircase:
            p = _m.floor(p)
        return _m.truediv(lr, _m.add(1.0, _m.multiply(float(decay_rate), p)), name=scope)


def natural_exp_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    g = _graph_for(global_step)
    with _name_scope_ctx(g, name or "NaturalExpDecay") as scope:
        lr = _m._tensor(learning_rate, g, dtype=_dtypes.float32, name="learning_rate")
        p = _m.truediv(_step_float(global_step, g), float(decay_steps))
        if staircase:
            p = _m.floor(p)
        return _m.multiply(lr, _m.exp(_m.multiply(-float(decay_rate), p)), name=scope)


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001,
                     power=1.0, cycle=False, name=None):
    if cycle:
        raise NotImplementedError("nabla's polynomial_decay has no cycle")
    g = _graph_for(global_step)
    with _name_scope_ctx(g, name or "PolynomialDecay") as scope:
        step = _m.minimum(_step_float(global_step, g), float(decay_steps))
        frac = _m.subtract(1.0, _m.truediv(step, float(decay_steps)))
        lr = float(learning_rate)
        return _m.add(_m.multiply(lr - end_learning_rate, _m.pow(frac, float(power))),
                      end_learning_rate, name=scope)


def piecewise_constant(x, boundaries, values, name=None):
    g = _graph_for(x)
    from .array_ops import where
    with _name_scope_ctx(g, name or "PiecewiseConstant"):
        xt = _m._tensor(x, g)
        out = _m._tensor(values[-1], g, dtype=_dtypes.float32)
        for b, v in reversed(list(zip(boundaries, values[:-1]))):
            out = where(_m.less_equal(xt, _m._tensor(b, g, dtype=xt.dtype)),
                        _m._tensor(v, g, dtype=_dtypes.float32), out)
        return out


# ---------------------------------------------------------------- checkpoints

_EXT = ".safetensors"


def _ckpt_file(path):
    if path.endswith(_EXT) or os.path.exists(path):
        return path
    return path + _EXT


class CheckpointState(object):
    def __init__(self, model_checkpoint_path, all_model_checkpoint_paths):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = all_model_checkpoint_paths

    def __repr__(self):
        lines = ['model_checkpoint_path: "%s"' % self.model_checkpoint_path]
        lines += ['all_model_checkpoint_paths: "%s"' % p for p in self.all_model_checkpoint_paths]
        return "\n".join(lines) + "\n"


def _read_index(checkpoint_dir, latest_filename=None):
    ip = os.path.join(checkpoint_dir, latest_filename or "checkpoint")
    try:
        with open(ip, "r") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    model, alls = None, []
    for line in text.splitlines():
        line = line.strip()
        for key in ("model_checkpoint_path:", "all_model_checkpoint_paths:"):
            if line.startswith(key):
                val = line[len(key):].strip()
                if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
                    val = val[1:-1]
                else:
                    raise _errors.DataLossError(None, None, "%s: malformed line %r" % (ip, line))
                if key.startswith("model"):
                    model = val
                else:
                    alls.append(val)
    if model is None:
        raise _errors.DataLossError(None, None, "%s: no model_checkpoint_path line" % ip)

    def absol(p):
        return p if os.path.isabs(p) else os.path.join(checkpoint_dir, p)
    return CheckpointState(absol(model), [absol(p) for p in alls])


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The "checkpoint" index of a directory (None when there is none)."""
    return _read_index(checkpoint_dir, latest_filename)


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The newest checkpoint the directory's index names, or None (libnabla reads it)."""
    if latest_filename is None:
        try:
            return _C.checkpoint_latest(checkpoint_dir)
        except _errors.NotFoundError:
            return None
    st = _read_index(checkpoint_dir, latest_filename)
    return None if st is None else st.model_checkpoint_path


def checkpoint_exists(checkpoint_prefix):
    return os.path.exists(_ckpt_file(checkpoint_prefix))


def _write_index(dirname, newest, keep):
    """Writes TF1's "checkpoint" index (atomically) for a save without a step."""
    st = None
    try:
        st = _read_index(dirname)
    except _errors.OpError:
        st = None
    names = [] if st is None else [os.path.relpath(p, dirname) for p in
                                   st.all_model_checkpoint_paths]
    base = os.path.basename(newest)
    names = [n for n in names if n != base] + [base]
    drop = names[:-keep] if keep and len(names) > keep else []
    names = names[-keep:] if keep else names
    text = 'model_checkpoint_path: "%s"\n' % base + "".join(
        'all_model_checkpoint_paths: "%s"\n' % n for n in names)
    ip = os.path.join(dirname, "checkpoint")
    tmp = ip + ".tmp%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, ip)
    for n in drop:
        if "/" not in n:
            try:
                os.unlink(os.path.join(dirname, n))
            except OSError:
                pass


class Saver(object):
    """tf.train.Saver(var_list=None, max_to_keep=5): saves and restores a session's
    variables as nabla safetensors checkpoints ("<prefix>-<step>.safetensors") and
    keeps TF1's "checkpoint" index in the directory."""

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False,
                 saver_def=None, builder=None, defer_build=False, allow_empty=False,
                 write_version=2, pad_step_number=False, save_relative_paths=False,
                 filename=None):
        self._var_list = var_list
        self._max_to_keep = max_to_keep or 0
        self._last = []
        if var_list is not None:
            vs = var_list.values() if isinstance(var_list, dict) else var_list
            if isinstance(var_list, dict):
                for k, v in var_list.items():
                    if k != v.op.name:
                        raise NotImplementedError("nabla's Saver saves variables under their "
                                                  "own names (got %r for %s)" % (k, v.op.name))
            self._var_list = [v if isinstance(v, Variable) else Variable._from_read(_out(v))
                              for v in vs]
        elif not allow_empty and not get_default_graph().variables():
            raise ValueError("No variables to save")

    def save(self, sess, save_path, global_step=None, latest_filename=None,
             meta_graph_suffix="meta", write_meta_graph=True, write_state=True,
             strip_default_attrs=False, save_debug_info=False):
        """Saves; returns the checkpoint's path (restore takes it back)."""
        d = os.path.dirname(save_path)
        if d and not os.path.isdir(d):
            raise ValueError("Parent directory of %s doesn't exist, can't save." % save_path)
        if global_step is not None:
            if not isinstance(global_step, (int, np.integer)):
                global_step = int(sess.run(global_step))
            return sess._c.save_step(save_path, int(global_step), int(self._max_to_keep))
        path = save_path + _EXT
        sess._c.save(path)
        if write_state:
            _write_index(d or ".", path, self._max_to_keep)
        return path

    def restore(self, sess, save_path):
        """Restores every variable of the session's graph from a checkpoint (no
        initializer needed first)."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        f = _ckpt_file(save_path)
        if not os.path.exists(f):
            raise _errors.NotFoundError(None, None, "Failed to find any matching files for %s"
                                        % save_path)
        if self._var_list is None:
            sess._c.restore(f)
            return
        # a subset: read the file with libnabla, check every name first, then set them
        values = _C.checkpoint_read(f)
        for v in self._var_list:
            if v.op.name not in values:
                raise _errors.NotFoundError(None, None, "Key %s not found in checkpoint %s"
                                            % (v.op.name, f))
        for v in self._var_list:
            sess._c.set_variable(v._read, values[v.op.name])

    @property
    def last_checkpoints(self):
        return list(self._last)

    def set_last_checkpoints(self, last_checkpoints):
        self._last = list(last_checkpoints)

    def as_saver_def(self):
        return None

    def export_meta_graph(self, filename=None, **kwargs):
        raise NotImplementedError("nabla has no MetaGraphDef: save the graph with "
                                  "tf.train.write_graph")


def write_graph(graph_or_graph_def, logdir, name, as_text=True):
    """Writes a binary GraphDef (nabla has no text format: as_text is ignored)."""
    data = graph_or_graph_def.as_graph_def().SerializeToString() \
        if hasattr(graph_or_graph_def, "as_graph_def") else \
        graph_or_graph_def.SerializeToString()
    os.makedirs(logdir, exist_ok=True)
    path = os.path.join(logdir, name)
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return path


class Coordinator(object):
    def __init__(self, clean_stop_exception_types=None):
        self._stop = False

    def should_stop(self):
        return self._stop

    def request_stop(self, ex=None):
        self._stop = True

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False):
        pass


def start_queue_runners(sess=None, coord=None, daemon=True, start=True, collection=None):
    return []


class SummarySaverHook(object):
    def __init__(self, *a, **k):
        raise NotImplementedError("nabla has no session hooks")
