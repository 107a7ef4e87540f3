"""tf.cond for side-effect-free branches, and clear errors for the rest of TF1's
control flow (libnabla has no Switch/Merge ops)."""
from . import _nabla as _C
from .framework import Tensor, get_default_graph, _name_scope_ctx, _graph_for
from .math_ops import _tensor

_STATEFUL = ("Assign", "AssignAdd", "AssignSub", "VariableV2", "Print", "ApplyGradientDescent",
             "ApplyMomentum", "ApplyAdagrad", "ApplyRMSProp", "ApplyAdam")


def _flatten(x):
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(_flatten(v))
        return out
    return [x]


def _rebuild(struct, it):
    if isinstance(struct, (list, tuple)):
        vals = [_rebuild(s, it) for s in struct]
        return type(struct)(vals) if not hasattr(struct, "_fields") else type(struct)(*vals)
    return next(it)


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """tf.cond(pred, true_fn, false_fn) for branches without side effects: both branches
    are built and a Select picks the result (gradients flow through the taken side).
    A branch that assigns a variable raises NotImplementedError (TF1 would run only one
    branch; nabla has no Switch/Merge)."""
    true_fn = true_fn or fn1
    false_fn = false_fn or fn2
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("true_fn and false_fn must be callable.")
    g = _graph_for(pred)
    with _name_scope_ctx(g, name or "cond"):
        p = _tensor(pred, g, name="pred")
        n0 = g.num_ops()
        t = true_fn()
        f = false_fn()
        for op in g.ops()[n0:]:
            if op.type in _STATEFUL:
                raise NotImplementedError(
                    "tf.cond: a branch creates '%s' (op: %s); nabla builds both branches of a "
                    "cond (no Switch/Merge ops), so branches must be free of side effects"
                    % (op.name, op.type))
        ft, ff = _flatten(t), _flatten(f)
        if len(ft) != len(ff):
            raise ValueError("true_fn and false_fn must return the same number of outputs")
        outs = []
        for a, b in zip(ft, ff):
            a = _tensor(a, g)
            b = _tensor(b, g, dtype=a.dtype)
            outs.append(_C.where(g, p, a, b, None))
        return _rebuild(t, iter(outs))


def _missing(name):
    def f(*args, **kwargs):
        raise NotImplementedError("nabla has no %s (libnabla has no control-flow ops); "
                                  "unroll the loop in Python or use tf.where" % name)
    f.__name__ = name
    return f


while_loop = _missing("tf.while_loop")
case = _missing("tf.case")
map_fn = _missing("tf.map_fn")
scan = _missing("tf.scan")
foldl = _missing("tf.foldl")
foldr = _missing("tf.foldr")
py_func = _missing("tf.py_func")
