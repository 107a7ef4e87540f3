"""Tests of the C extension nabla._nabla itself (owned by pyc): conversions,
ownership, reference counts, error handling, the GIL, memory over many runs.
Expected values are computed independently with numpy."""
import gc
import glob
import importlib.machinery
import importlib.util
import os
import signal
import sys
import threading
import time
import weakref

import numpy as np
import pytest


def _load():
    if "nabla._nabla" in sys.modules:
        return sys.modules["nabla._nabla"]
    for d in sys.path:
        hits = glob.glob(os.path.join(d or ".", "nabla", "_nabla*.so"))
        if hits:
            loader = importlib.machinery.ExtensionFileLoader("nabla._nabla", hits[0])
            spec = importlib.util.spec_from_file_location("nabla._nabla", hits[0], loader=loader)
            mod = importlib.util.module_from_spec(spec)
            loader.exec_module(mod)
            sys.modules["nabla._nabla"] = mod
            return mod
    raise ImportError("nabla/_nabla*.so not found on sys.path (set PYTHONPATH=<build>/python)")


_n = _load()
F32, F64, I32, I64, BOOL = _n.FLOAT32, _n.FLOAT64, _n.INT32, _n.INT64, _n.BOOL


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def small_graph():
    g = _n.Graph()
    x = _n.placeholder(g, F32, (None, 3), "x")
    w = _n.constant(g, np.array([1.0, -2.0, 0.5], np.float32), name="w")
    y = _n.multiply(g, x, w)
    s = _n.reduce_sum(g, y, [1])
    return g, x, w, y, s


def test_build_and_run_matches_numpy():
    g, x, w, y, s = small_graph()
    assert y.name == "mul:0" and s.name == "Sum:0"
    assert y.shape == (None, 3) and s.shape == (None,)
    assert y.dtype == F32 and y.value_index == 0
    assert y.op.type == "Mul" and y.op.name == "mul"
    assert [i.name for i in y.op.inputs] == ["x:0", "w:0"]
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    sess = _n.Session(g)
    ry, rs = sess.run([y, s], [(x, a)])
    wn = np.array([1.0, -2.0, 0.5], np.float32)
    np.testing.assert_array_equal(ry, a * wn)
    np.testing.assert_allclose(rs, (a * wn).sum(1), rtol=1e-6)
    assert ry.dtype == np.float32 and ry.shape == (2, 3)


def test_int_arguments_take_numpy_values():
    g = _n.Graph()
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    c = _n.constant(g, a)
    outs = [_n.reduce_sum(g, c, np.array([0, 2])), _n.reduce_sum(g, c, np.int64(1)),
            _n.reduce_sum(g, c, np.array(2)), _n.transpose(g, c, np.array([2, 0, 1])),
            _n.reshape(g, c, np.array([4, -1]))]
    r = _n.Session(g).run(outs)
    np.testing.assert_array_equal(r[0], a.sum((0, 2)))
    np.testing.assert_array_equal(r[1], a.sum(1))
    np.testing.assert_array_equal(r[2], a.sum(2))
    np.testing.assert_array_equal(r[3], a.transpose(2, 0, 1))
    np.testing.assert_array_equal(r[4], a.reshape(4, -1))


def test_each_builder_signature_against_numpy():
    """One builder of every C signature kind the table dispatches on, and the
    one-of-a-kind wrappers, checked against numpy."""
    rng = np.random.default_rng(1)
    g = _n.Graph()
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((2, 3)).astype(np.float32)
    img = rng.standard_normal((1, 4, 4, 2)).astype(np.float32)
    ker = rng.standard_normal((3, 3, 2, 3)).astype(np.float32)
    A, B = _n.constant(g, a), _n.constant(g, b)
    I, K = _n.constant(g, img), _n.constant(g, ker)
    cond = _n.greater(g, A, B)
    checks = [
        (_n.exp(g, A), np.exp(a)),                                         # unary
        (_n.maximum(g, A, B), np.maximum(a, b)),                           # binary
        (_n.where(g, cond, A, B), np.where(a > b, a, b)),                  # ternary
        (_n.reduce_max(g, A, [1], True), a.max(1, keepdims=True)),         # reduction
        (_n.add_n(g, [A, B, A]), a + b + a),                               # list
        (_n.concat(g, [A, B], 1), np.concatenate([a, b], 1)),              # list + axis
        (_n.argmax(g, A, 1), a.argmax(1)),                                 # int
        (_n.transpose(g, A, [1, 0]), a.T),                                 # int list
        (_n.tile(g, A, [2, 1]), np.tile(a, (2, 1))),                       # int64 list
        (_n.zeros(g, I32, (2, 2)), np.zeros((2, 2), np.int32)),            # source
        (_n.cast(g, A, I64), a.astype(np.int64)),                          # cast
        (_n.nn_leaky_relu(g, A, 0.1), np.where(a > 0, a, 0.1 * a)),        # double
        (_n.nn_max_pool(g, I, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"),        # pool
         img.reshape(1, 2, 2, 2, 2, 2).max((2, 4))),
        (_n.matmul(g, A, B, False, True), a @ b.T),
        (_n.slice(g, A, [0, 1], [2, 2]), a[:, 1:3]),
        (_n.pad(g, A, [[1, 0], [0, 2]]), np.pad(a, [[1, 0], [0, 2]])),
        (_n.gather(g, A, _n.constant(g, np.array([2, 0], np.int32)), 1), a[:, [2, 0]]),
        (_n.one_hot(g, _n.constant(g, np.array([0, 2], np.int32)), 3), np.eye(3, dtype=np.float32)[[0, 2]]),
        (_n.strided_slice(g, A, [0, 2], [2, 0], [1, -1], 0, 0, 0, 0, 0), a[0:2, 2:0:-1]),
    ]
    ref = np.zeros((1, 2, 2, 3), np.float64)  # conv2d VALID by direct loops
    for i in range(2):
        for j in range(2):
            ref[0, i, j] = np.einsum("hwc,hwco->o", img[0, i:i + 3, j:j + 3], ker)
    checks.append((_n.nn_conv2d(g, I, K, [1, 1, 1, 1], "VALID"), ref))
    parts = _n.split(g, A, 3, 1)
    y, mean, var = _n.nn_fused_batch_norm(g, I, _n.ones(g, F32, (2,)), _n.zeros(g, F32, (2,)))
    u = _n.random_uniform(g, F32, (1000,), -2.0, 3.0, seed=5)
    outs = _n.Session(g).run([c[0] for c in checks] + parts + [y, mean, u])
    for (node, want), got in zip(checks, outs):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=node.name)
    for k in range(3):
        np.testing.assert_array_equal(outs[len(checks) + k], a[:, k:k + 1])
    yv, mv, uv = outs[len(checks) + 3:]
    m = img.mean((0, 1, 2))
    np.testing.assert_allclose(mv, m, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(yv, (img - m) / np.sqrt(img.var((0, 1, 2)) + 0.001), rtol=1e-4, atol=1e-4)
    assert uv.shape == (1000,) and uv.min() >= -2.0 and uv.max() < 3.0 and abs(uv.mean() - 0.5) < 0.25


def test_many_feeds_and_fetches():
    g = _n.Graph()
    xs = [_n.placeholder(g, F64, (2,), "x%d" % i) for i in range(40)]
    ys = [_n.multiply(g, x, _n.constant(g, np.float64(i))) for i, x in enumerate(xs)]
    vals = [np.array([i, -i], np.float64) for i in range(40)]
    sess = _n.Session(g)
    out = sess.run(ys + xs[:3], list(zip(xs, vals)))
    f = sess.make_callable(ys, xs)
    for got in (out[:40], f(*vals)):
        for i in range(40):
            np.testing.assert_array_equal(got[i], vals[i] * i)
    np.testing.assert_array_equal(out[41], vals[1])
    with pytest.raises(TypeError, match="takes 40 feed values"):
        f(*vals[:39])


def test_rank0_fetch_is_numpy_scalar_and_op_fetch_is_none():
    g = _n.Graph()
    c = _n.constant(g, np.float32(2.5))
    d = _n.constant(g, np.array(7, np.int64))
    b = _n.constant(g, np.array(True))
    noop = _n.no_op(g)
    r = _n.Session(g).run([c, d, b, noop.op])
    assert type(r[0]) is np.float32 and r[0] == 2.5
    assert type(r[1]) is np.int64 and r[1] == 7
    assert type(r[2]) is np.bool_ and bool(r[2])
    assert r[3] is None


def test_equality_and_hash_on_the_triple():
    g, x, w, y, s = small_graph()
    again = g.output_by_name("mul:0")
    assert again is not y
    assert _n.Output.__eq__(again, y) is True
    assert _n.Output.__hash__(again) == _n.Output.__hash__(y)
    assert _n.Output.__eq__(x, y) is False
    assert _n.Op.__eq__(g.op_by_name("mul"), y.op) is True
    assert g.op_by_name("nope") is None and g.output_by_name("nope:0") is None
    assert [o.name for o in g.ops()] == ["x", "w", "mul", "Sum/reduction_indices", "Sum"]


def test_builder_errors_raise_and_clear_the_graph_error():
    g = _n.Graph()
    a = _n.constant(g, np.array([1.0, 2.0], np.float32), name="a")
    i = _n.constant(g, np.array([1, 2], np.int32), name="i")
    with pytest.raises(TypeError, match="Add"):
        _n.add(g, a, i)
    assert g.status() == (0, "")
    b = _n.constant(g, np.zeros(3, np.float32), name="b")
    with pytest.raises(ValueError, match="[Ss]hape|[Dd]imension"):
        _n.add(g, a, b)
    assert g.status() == (0, "")
    ok = _n.add(g, a, a)  # building goes on
    assert ok.name == "add_2:0"  # failed ops took add and add_1, as in TF1
    np.testing.assert_array_equal(_n.Session(g).run([ok])[0], [2.0, 4.0])


def test_a_rejected_scope_name_leaves_the_scope_as_it_was():
    g = _n.Graph()
    assert g.name_scope_push("outer") == "outer/"
    with pytest.raises(ValueError):
        g.name_scope_push("bad name!")
    assert g.name_scope_current() == "outer/"
    assert _n.no_op(g).op.name == "outer/NoOp"
    g.name_scope_pop()
    assert g.name_scope_current() == ""


def test_wrong_types_and_foreign_graphs_never_crash():
    g, x, w, y, s = small_graph()
    h = _n.Graph()
    other = _n.constant(h, np.float32(1))
    with pytest.raises(ValueError, match="same graph"):
        _n.add(g, y, other)
    with pytest.raises(TypeError):
        _n.add(g, y, 3)
    with pytest.raises(TypeError):
        _n.add(h, None, other)
    with pytest.raises(TypeError):
        _n.add(123, y, y)
    with pytest.raises(TypeError):
        _n.placeholder(g, 77, (2,))
    with pytest.raises(ValueError):
        _n.placeholder(g, F32, (1,) * 9)
    with pytest.raises(TypeError):
        _n.Session("graph")
    bare = _n.Output()  # never made by a builder: inert
    assert bare.name is None and bare.op is None
    with pytest.raises(TypeError):
        _n.add(g, bare, y)
    sess = _n.Session(g)
    with pytest.raises(ValueError, match="not an element of this graph"):
        sess.run([other])
    with pytest.raises(TypeError):
        sess.run([1])
    with pytest.raises(TypeError):
        sess.run([y], [(x,)])
    with pytest.raises(TypeError):
        sess.run([y], [("x", np.zeros((1, 3)))])
    with pytest.raises(ValueError):
        sess.run([y], [(x, "not a number")])
    with pytest.raises(TypeError):
        _n.set_classes(int, str)
    with pytest.raises(TypeError):
        _n.constant(g, np.array(["a", "b"]))


def test_every_function_survives_garbage_arguments(tmp_path, monkeypatch):
    """Every module function called with wrong, missing and mismatched arguments
    raises a Python exception (or returns); none crashes or leaves the graph in error."""
    monkeypatch.chdir(tmp_path)  # a few calls write files named by their arguments
    skip = {"set_classes", "set_error_classes", "set_num_threads", "npy_save"}
    g = _n.Graph()
    h = _n.Graph()
    x = _n.placeholder(g, F32, (2, 3), "x")
    i = _n.constant(g, np.array([1, 0], np.int32))
    other = _n.constant(h, np.float32(1))
    bare = _n.Output()
    argsets = [(), (g,), (None,), (1,), (g, None), (g, bare), (g, other), (g, x), (g, x, x),
               (g, x, i), (g, x, other), (g, x, x, x), (g, x, x, x, x), (g, 1), (g, "s"),
               (g, x, "s"), (g, x, -5), (g, x, 2 ** 40), (g, x, [2 ** 40]), (g, x, [1] * 70),
               (g, [x, other]), (g, [x, 3]), (g, [], 0), (g, F32, None), (g, F32, (2, None)),
               (g, F32, (-3,)), (g, 0, (2,)), (g, x, [1, 2, 2, 1], [1, 1, 1, 1], "BAD"),
               (g, x, [1, 2, 2], [1, 1, 1, 1], "SAME"), (g, x, x, [1, 1, 1, 1], "SAME"),
               (g, x, 0, 1.0, 0.0), (g, x, [0, 0], [5, 5]), (g, x, [[1, 2]]),
               (g, "name", x), (g, b"\x00\x01"), (g, "/nonexistent/dir/file")]
    names = [n for n in dir(_n) if callable(getattr(_n, n)) and not n[0].isupper()
             and not n.startswith("_") and n not in skip]
    assert len(names) > 150
    for name in names:
        f = getattr(_n, name)
        for args in argsets:
            try:
                f(*args)
            except Exception:
                pass
            assert g.status() == (0, ""), (name, args)
    # the methods of every type, likewise
    v = _n.variable(g, _n.zeros(g, F32, (2, 3)), name="v")
    loss = _n.reduce_sum(g, _n.multiply(g, v, x))
    objs = [g, _n.Session(g), _n.train_adam(g, 0.1), _n.SummaryWriter(str(tmp_path / "logs")), x, x.op]
    margs = [(), (None,), (1,), ("s",), (x,), (other,), (bare,), ([x, other],), ([x], [1]),
             ([x], [(x, "abc")]), ([x], [(other, 1)]), ([v], [v]), (loss, [other]), (loss, [v], other),
             ([None], [v]), ([x], [v]), (v, np.ones(3)), (b"\x00", 1), ("t", 1, np.ones((2, 2, 9))),
             ("t", 1, np.array([np.nan]))]
    for obj in objs:
        for mname in [m for m in dir(obj) if not m.startswith("_") and callable(getattr(obj, m))]:
            for args in margs:
                try:
                    getattr(obj, mname)(*args)
                except Exception:
                    pass
            assert g.status() == (0, ""), (mname, args)
    # and the graph still works
    y = _n.add(g, x, x)
    np.testing.assert_array_equal(_n.Session(g).run([y], [(x, np.ones((2, 3)))])[0], 2 * np.ones((2, 3)))


def test_run_errors_raise_the_registered_class():
    old = _n.get_error_classes()

    class OpError(Exception):
        def __init__(self, node_def, op, message):
            super().__init__(message)
            self.args3 = (node_def, op, message)

    class InvalidArgument(OpError):
        pass

    try:
        _n.set_error_classes({_n.ERR_INVALID_ARGUMENT: InvalidArgument, _n.ERR_SHAPE: OpError})
        g, x, w, y, s = small_graph()
        sess = _n.Session(g)
        with pytest.raises(InvalidArgument) as e:
            sess.run([y])  # x not fed
        assert e.value.args3[0] is None and e.value.args3[1] is None
        assert "You must feed a value for placeholder tensor 'x'" in e.value.args3[2]
        with pytest.raises(OpError, match=r"Cannot feed value of shape \(2, 4\) for Tensor 'x:0'"):
            sess.run([y], [(x, np.zeros((2, 4), np.float32))])  # wrong shape: NB_ERR_SHAPE
    finally:
        _n.set_error_classes(old)


def test_closed_session_and_freed_graphs():
    g, x, w, y, s = small_graph()
    sess = _n.Session(g)
    f = sess.make_callable([s], [x])
    sess.close()
    sess.close()  # idempotent
    assert sess.closed
    for call in (lambda: sess.run([s], [(x, np.ones((1, 3), np.float32))]),
                 lambda: f(np.ones((1, 3), np.float32)),
                 lambda: sess.variable_value(y),
                 lambda: sess.make_callable([s])):
        with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
            call()
    # the session and its outputs keep the graph alive after the last name for it goes
    sess2 = _n.Session(g)
    gw = weakref.ref(g)
    del g
    gc.collect()
    assert gw() is not None  # outputs hold it
    np.testing.assert_allclose(sess2.run([s], [(x, np.ones((1, 3), np.float32))])[0], [-0.5])
    del x, w, y, s, f
    sess2.close()
    del sess, sess2
    gc.collect()
    assert gw() is None  # and it goes once nothing refers to it


def test_cycles_through_tensors_and_sessions_are_collected():
    class G(_n.Graph):  # like tf.Graph, which keeps its tensors in collections
        pass

    g = G()
    x = _n.placeholder(g, F32, (2,), "x")
    g.keep = [x, _n.add(g, x, x), x.op]
    g.sess = _n.Session(g)
    g.call = g.sess.make_callable([g.keep[1]], [x])
    np.testing.assert_array_equal(g.call(np.ones(2, np.float32)), [[2.0, 2.0]])
    gw = weakref.ref(g)
    del g, x
    gc.collect()
    assert gw() is None  # the cycle G -> list -> Output -> G was found and freed


def test_feeds_are_zero_copy_when_they_fit():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert _n.feed_address(a, F32) == a.ctypes.data  # wrapped, not copied
    assert _n.feed_address(a, F64) != a.ctypes.data  # converted: another buffer
    t = a.T  # not C-contiguous
    assert _n.feed_address(t, F32) != t.ctypes.data
    np.testing.assert_array_equal(_n.roundtrip(t, F32), t)
    np.testing.assert_array_equal(_n.roundtrip([[1, 2], [3, 4]], F64), [[1.0, 2.0], [3.0, 4.0]])
    # other layouts and dtypes are converted as np.asarray(value, dtype) does
    g, x, w, y, s = small_graph()
    sess = _n.Session(g)
    wn = np.array([1.0, -2.0, 0.5])
    for v in (np.arange(6.0).reshape(2, 3),               # float64
              np.arange(6, dtype=np.int64).reshape(2, 3),  # int64
              np.arange(12, dtype=np.float32).reshape(2, 6)[:, ::2],  # strided
              [[1, 2, 3]],                                 # list
              np.arange(6, dtype=np.float32).reshape(2, 3).astype(">f4")):  # big-endian
        ref = (np.asarray(v, np.float32) * wn.astype(np.float32)).sum(1)
        np.testing.assert_allclose(sess.run([s], [(x, v)])[0], ref, rtol=1e-6)


def test_refcounts_of_feeds_and_fetches():
    g, x, w, y, s = small_graph()
    sess = _n.Session(g)
    a = np.ones((4, 3), np.float32)
    before = sys.getrefcount(a)
    for _ in range(100):
        sess.run([y, s], [(x, a)])
    assert sys.getrefcount(a) == before  # the wrapped feed's reference was dropped
    r = sess.run([y], [(x, a)])[0]
    assert sys.getrefcount(r) == 2  # the name r and getrefcount's argument
    base = r.base
    assert type(base).__name__ == "PyCapsule"  # r owns the nabla buffer through its base
    assert sys.getrefcount(base) == 3  # r.base, the name base, the argument
    del base
    rw = weakref.ref(r)
    del r
    assert rw() is None
    f = sess.make_callable([y], [x])
    before = sys.getrefcount(a)
    for _ in range(100):
        f(a)
    assert sys.getrefcount(a) == before


def test_fetched_arrays_are_fresh_writable_and_independent():
    g = _n.Graph()
    c = _n.constant(g, np.array([1.0, 2.0, 3.0], np.float32))
    x = _n.placeholder(g, F32, (3,), "x")
    d = _n.multiply(g, c, c)
    v = _n.variable(g, c, name="v")
    init = _n.global_variables_initializer(g)
    sess = _n.Session(g)
    sess.run([init])
    a = np.array([5.0, 6.0, 7.0], np.float32)
    r1, r2, r3, r4, r5 = sess.run([c, c, d, v, x], [(x, a)])
    for r in (r1, r2, r3, r4, r5):
        assert r.flags.writeable and r.flags.c_contiguous and r.flags.owndata is False
    assert not np.shares_memory(r1, r2)  # the same output fetched twice: two arrays
    assert not np.shares_memory(r5, a)  # a fed value comes back as a copy
    r1[:] = 100
    r3[:] = 100
    r4[:] = 100
    r5[:] = 100
    np.testing.assert_array_equal(a, [5.0, 6.0, 7.0])
    q1, q3, q4 = sess.run([c, d, v])
    np.testing.assert_array_equal(q1, [1.0, 2.0, 3.0])  # the constant is untouched
    np.testing.assert_array_equal(q3, [1.0, 4.0, 9.0])
    np.testing.assert_array_equal(q4, [1.0, 2.0, 3.0])  # the variable is untouched
    np.testing.assert_array_equal(r2, [1.0, 2.0, 3.0])


def test_fetched_arrays_outlive_their_session_and_graph():
    g, x, w, y, s = small_graph()
    sess = _n.Session(g)
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    ry, rs = sess.run([y, s], [(x, a)])
    sess.close()
    del sess, g, x, w, y, s
    gc.collect()
    wn = np.array([1.0, -2.0, 0.5], np.float32)
    np.testing.assert_array_equal(ry, a * wn)  # the buffers are the arrays' own
    np.testing.assert_allclose(rs, (a * wn).sum(1), rtol=1e-6)
    ry += 1
    np.testing.assert_array_equal(ry, a * wn + 1)


def test_variables_gradients_and_optimizer_step():
    g = _n.Graph()
    x = _n.placeholder(g, F32, (None,), "x")
    w = _n.variable(g, _n.constant(g, np.float32(3.0)), name="w")
    loss = _n.reduce_sum(g, _n.square(g, _n.multiply(g, w, x)))
    (dw,) = _n.gradients(g, [loss], [w])
    assert _n.gradients(g, [loss], [x])[0] is not None
    unconnected = _n.constant(g, np.float32(1.0))
    assert _n.gradients(g, [loss], [unconnected]) == [None]
    opt = _n.train_gradient_descent(g, 0.01)
    train = opt.minimize(loss)
    init = _n.global_variables_initializer(g)
    assert [v.name for v in g.variables()] == ["w/read:0"]
    assert _n.variable_op(w).type == "VariableV2" and _n.variable_op(w).name == "w"
    assert _n.variable_is_trainable(w)
    sess = _n.Session(g)
    sess.run([init.op])
    xs = np.array([1.0, 2.0], np.float32)
    g0 = sess.run([dw], [(x, xs)])[0]
    assert g0 == pytest.approx(2 * 3.0 * (xs ** 2).sum())  # d/dw sum((w x)^2) = 2 w sum(x^2)
    sess.run([train.op], [(x, xs)])
    assert sess.variable_value(w) == pytest.approx(3.0 - 0.01 * 30.0)
    sess.set_variable(w, 1.5)
    assert sess.variable_value(w) == pytest.approx(1.5)
    grads, vars_ = opt.compute_gradients(loss)
    assert len(grads) == 1 and _n.Output.__eq__(vars_[0], w)


def test_checkpoint_and_summary_writer(tmp_path):
    g = _n.Graph()
    w = _n.variable(g, _n.constant(g, np.array([1.0, 2.0], np.float32)), name="w")
    init = _n.global_variables_initializer(g)
    summ = _n.summary_scalar(g, "loss", _n.reduce_sum(g, w))
    sess = _n.Session(g)
    sess.run([init])
    path = sess.save_step(str(tmp_path / "model"), 7, 5)
    assert path.endswith("model-7.safetensors") and os.path.exists(path)
    assert _n.checkpoint_latest(str(tmp_path)) == path
    assert _n.checkpoint_latest(str(tmp_path / "empty")) is None
    np.testing.assert_array_equal(_n.checkpoint_read(path)["w"], [1.0, 2.0])
    sess.set_variable(w, np.array([9.0, 9.0], np.float32))
    sess.restore(path)
    np.testing.assert_array_equal(sess.variable_value(w), [1.0, 2.0])
    blob = sess.run([summ])[0]
    assert blob.dtype == np.uint8 and blob.ndim == 1
    wr = _n.SummaryWriter(str(tmp_path / "logs"), g)
    wr.add_summary(blob.tobytes(), 3)
    wr.add_scalar("direct", 1, 0.5)
    wr.close()
    wr.close()
    with pytest.raises(RuntimeError):
        wr.flush()
    assert os.path.getsize(wr.path if wr.path else glob.glob(str(tmp_path / "logs" / "*"))[0]) > 0
    with pytest.raises(Exception) as e:
        sess.restore(str(tmp_path / "missing.safetensors"))
    assert "missing.safetensors" in str(e.value)


def test_graphdef_roundtrip():
    g, x, w, y, s = small_graph()
    data = g.graphdef()
    h = _n.Graph()
    _n.import_graphdef(h, data, "import")
    hs = h.output_by_name("import/Sum:0")
    hx = h.output_by_name("import/x:0")
    a = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(_n.Session(h).run([hs], [(hx, a)])[0], [-0.5, -0.5])
    with pytest.raises(Exception):
        _n.import_graphdef(h, b"\xff\xff not a graphdef")
    assert h.status() == (0, "")


def test_gil_is_released_while_a_session_runs():
    """A long run in one thread; another thread's short runs on another
    session make progress in the middle of it (impossible if the GIL were held)."""
    n = 700
    g1 = _n.Graph()
    a = _n.constant(g1, np.random.default_rng(0).standard_normal((n, n)).astype(np.float32))
    m = a
    for _ in range(6):
        m = _n.matmul(g1, m, a)
    long_out = _n.reduce_sum(g1, m)
    g2, x, w, y, s = small_graph()
    s1, s2 = _n.Session(g1), _n.Session(g2)
    feed = np.ones((1, 3), np.float32)
    s1.run([long_out])  # warm up (plan, buffers)
    window = {}
    done = threading.Event()

    def long_run():
        window["start"] = time.perf_counter()
        s1.run([long_out])
        window["end"] = time.perf_counter()
        done.set()

    stamps = []
    t = threading.Thread(target=long_run)
    t.start()
    while not done.is_set():
        s2.run([s], [(x, feed)])
        stamps.append(time.perf_counter())
    t.join()
    start, end = window["start"], window["end"]
    dur = end - start
    inside = [u for u in stamps if start + 0.2 * dur < u < end - 0.2 * dur]
    assert dur > 0.02, "the long run was too short to tell"
    assert len(inside) >= 5, (dur, len(stamps), len(inside))


def test_two_threads_two_sessions_give_right_answers():
    results = {}

    def work(k):
        g = _n.Graph()
        x = _n.placeholder(g, F64, (None,), "x")
        y = _n.reduce_sum(g, _n.multiply(g, x, _n.constant(g, np.float64(k))))
        sess = _n.Session(g)
        f = sess.make_callable([y], [x])
        acc = 0.0
        for i in range(2000):
            acc += f(np.full(4, float(i)))[0]
        results[k] = acc

    ts = [threading.Thread(target=work, args=(k,)) for k in (2, 3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    base = 4 * sum(range(2000))
    assert results == {2: 2 * base, 3: 3 * base}


def test_graph_grows_while_another_thread_runs_it():
    g, x, w, y, s = small_graph()
    sess = _n.Session(g)
    a = np.ones((1, 3), np.float32)
    stop = threading.Event()
    errors, count = [], [0]

    def runner():
        try:
            while not stop.is_set():
                r = sess.run([s], [(x, a)])[0]
                if r[0] != np.float32(-0.5):
                    errors.append(r)
                count[0] += 1
        except Exception as e:  # reported by the assertion below
            errors.append(e)

    t = threading.Thread(target=runner)
    t.start()
    z = y
    for _ in range(1500):  # builders take the graph's write lock between runs
        z = _n.add(g, z, y)
    stop.set()
    t.join()
    assert errors == [] and count[0] > 0
    np.testing.assert_allclose(sess.run([z], [(x, a)])[0], 1501 * np.array([[1.0, -2.0, 0.5]]))


def test_ctrl_c_stops_a_loop_of_runs():
    g, x, w, y, s = small_graph()
    sess = _n.Session(g)
    f = sess.make_callable([s], [x])
    a = np.ones((1, 3), np.float32)
    # Ctrl-C as Python's own handler sees it, whatever disposition the test
    # runner inherited, aimed at the main thread (the one running the loop).
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    main = threading.main_thread().ident
    timer = threading.Timer(0.2, lambda: signal.pthread_kill(main, signal.SIGINT))
    timer.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            while time.perf_counter() - t0 < 30:
                f(a)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, old)
    assert time.perf_counter() - t0 < 10


def test_rss_stays_flat_over_100000_runs():
    g, x, w, y, s = small_graph()
    sess = _n.Session(g)
    a = np.ones((2, 3), np.float32)
    f = sess.make_callable([y, s], [x])
    for _ in range(10000):
        sess.run([y, s], [(x, a)])
    gc.collect()
    r0 = rss_kib()
    b0 = sys.getallocatedblocks()
    for i in range(100000):
        if i % 2:
            f(a)
        else:
            sess.run([y, s], [(x, a)])
    gc.collect()
    blocks = sys.getallocatedblocks() - b0
    assert blocks < 100, f"{blocks} Python memory blocks more after 100,000 runs"
    if "libasan" not in os.environ.get("LD_PRELOAD", ""):
        # (under ASan, freed memory sits in its quarantine, so RSS grows by design)
        grown = rss_kib() - r0
        assert grown < 2048, f"RSS grew by {grown} KiB over 100,000 runs"
