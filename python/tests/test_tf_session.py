"""Sessions: fetch structures, feed conversions, default sessions, errors."""
import collections

import numpy as np
import pytest

import nabla as tf


def test_fetch_structures_come_back_in_kind():
    a = tf.constant(1.0, name="a")
    b = tf.constant([2, 3], name="b")
    noop = tf.no_op(name="nothing")
    Pair = collections.namedtuple("Pair", ["x", "y"])
    with tf.Session() as s:
        r = s.run([a, (b, {"k": a, "n": [noop]}), Pair(a, b)])
        assert isinstance(r, list) and isinstance(r[1], tuple) and isinstance(r[2], Pair)
        assert r[0] == 1.0 and isinstance(r[0], np.float32)
        np.testing.assert_array_equal(r[1][0], [2, 3])
        assert r[1][1] == {"k": 1.0, "n": [None]}
        assert r[2].x == 1.0
        np.testing.assert_array_equal(r[2].y, [2, 3])
        od = s.run(collections.OrderedDict([("z", a), ("y", "b:0")]))
        assert isinstance(od, collections.OrderedDict) and list(od) == ["z", "y"]
        assert s.run("a:0") == 1.0 and s.run("nothing") is None and s.run(noop) is None
        assert s.run([]) == [] and s.run(()) == ()
        with pytest.raises(TypeError, match="Fetch argument None has invalid type"):
            s.run(None)
        with pytest.raises(TypeError, match="Fetch argument 3 has invalid type"):
            s.run(3)
        with pytest.raises(KeyError, match="The name 'c:0' refers to a Tensor which does not"):
            s.run("c:0")


def test_feed_conversions():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    n = tf.placeholder(tf.int32, [], name="n")
    y = tf.reduce_sum(x) * tf.cast(n, tf.float32)
    with tf.Session() as s:
        # lists, Python scalars, other numpy dtypes, name strings as keys
        assert s.run(y, {x: [[1, 2], [3, 4]], n: 2}) == 20.0
        assert s.run(y, {"x:0": np.array([[1.5, 2.5]], np.float64), "n:0": np.int64(3)}) == 12.0
        arr = np.ones((3, 2), np.float32)
        assert s.run(y, feed_dict={x: arr, n: 1}) == 6.0
        with pytest.raises(TypeError, match="The value of a feed cannot be a tf.Tensor"):
            s.run(y, {x: tf.constant([[1.0, 2.0]]), n: 1})
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor"):
            s.run(y, {3: 1})
        with pytest.raises(tf.errors.InvalidArgumentError) as e:
            s.run(y, {n: 1})
        assert "x" in str(e.value) and isinstance(e.value, tf.errors.OpError)
        with pytest.raises(tf.errors.InvalidArgumentError):
            s.run(y, {x: np.ones((2, 3)), n: 1})


def test_graph_may_grow_after_the_session_exists():
    a = tf.constant(2.0)
    with tf.Session() as s:
        assert s.run(a) == 2.0
        b = a * 5
        assert s.run(b) == 10.0


def test_default_sessions_and_eval():
    a = tf.constant(3.0)
    with pytest.raises(ValueError, match="Cannot evaluate tensor using `eval\\(\\)`: No default "
                                         "session is registered"):
        a.eval()
    with pytest.raises(ValueError, match="Cannot execute operation using `run\\(\\)`"):
        tf.no_op().run()
    with tf.Session() as s:
        assert tf.get_default_session() is s
        assert a.eval() == 3.0
    assert tf.get_default_session() is None
    s = tf.Session()
    with s.as_default():
        assert (a * 2).eval() == 6.0
    assert a.eval(session=s) == 3.0
    s.close()
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
        s.run(a)
    g = tf.Graph()
    isess = tf.InteractiveSession(graph=g)
    assert tf.get_default_graph() is g        # TF1: its graph is the default until close()
    v = tf.Variable(4.0)
    v.initializer.run()
    assert v.eval() == 4.0 and (v + 1).eval() == 5.0
    with pytest.raises(AssertionError, match="Do not use tf.reset_default_graph"):
        tf.reset_default_graph()
    isess.close()
    assert tf.get_default_graph() is not g


def test_other_graph_session_is_refused():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(1.0)
    s = tf.Session()
    with pytest.raises(ValueError, match="the tensor's graph is different"):
        c.eval(session=s)
    s.close()


def test_make_callable():
    x = tf.placeholder(tf.float32, [])
    y = x * 3
    with tf.Session() as s:
        f = s.make_callable([y, y + 1], [x])
        r = f(2.0)
        assert r[0] == 6.0 and r[1] == 7.0


def test_variables_assign_and_load():
    v = tf.Variable([1.0, 2.0], name="v")
    with tf.Session() as s:
        with pytest.raises(tf.errors.FailedPreconditionError) as e:
            s.run(v)
        assert "v" in e.value.message
        s.run(v.initializer)
        s.run(v.assign([5.0, 6.0]))
        np.testing.assert_array_equal(s.run(v), [5.0, 6.0])
        s.run(v.assign_add([1.0, 1.0]))
        s.run(tf.assign_sub(v, [0.5, 0.5]))
        np.testing.assert_array_equal(s.run(v.read_value()), [5.5, 6.5])
        v.load([0.0, 1.0], s)
        np.testing.assert_array_equal(v.eval(s), [0.0, 1.0])
        np.testing.assert_array_equal(s.run(v.initialized_value()), [1.0, 2.0])


def test_fetched_arrays_are_fresh_and_refcounts_stay():
    import sys
    x = tf.placeholder(tf.float32, [3])
    y = x * 2
    feed = np.ones(3, np.float32)
    with tf.Session() as s:
        a = s.run(y, {x: feed})
        b = s.run(y, {x: feed})
        a[0] = 100
        assert b[0] == 2.0 and a.flags.writeable
        rc = sys.getrefcount(feed)
        for _ in range(1000):
            s.run([y], {x: feed})
        assert sys.getrefcount(feed) == rc
        assert sys.getrefcount(s.run(y, {x: feed})) == 2


def _rss_kib():
    with open("/proc/self/statm") as f:
        import os as _os
        return int(f.read().split()[1]) * _os.sysconf("SC_PAGE_SIZE") // 1024


def test_long_loop_keeps_memory_flat():
    import gc
    import os
    import sys
    x = tf.placeholder(tf.float32, [4])
    w = tf.Variable(np.zeros(4, np.float32))
    loss = tf.reduce_sum(tf.square(w - x))
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    data = np.arange(4, dtype=np.float32)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        for _ in range(20000):
            s.run([train, loss], {x: data})
        gc.collect()
        before, blocks = _rss_kib(), sys.getallocatedblocks()
        for i in range(100000):
            if i % 2:
                s.run(train, {x: data})
            else:
                s.run([train, loss], feed_dict={x: data})
        gc.collect()
        after, blocks = _rss_kib(), sys.getallocatedblocks() - blocks
        np.testing.assert_allclose(s.run(w), data, rtol=1e-5)
    assert blocks < 100, "%d Python memory blocks more after 100,000 runs" % blocks
    if "libasan" not in os.environ.get("LD_PRELOAD", ""):
        # (under ASan freed memory sits in its quarantine, so RSS grows by design)
        assert after - before < 2048, (before, after)   # KiB


def test_a_feed_of_the_wrong_shape_is_tf1s_value_error_too():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    with tf.Session() as s:
        with pytest.raises(ValueError, match="Cannot feed value of shape \\(2, 4\\) for Tensor "
                                             "'x:0', which has shape '\\(\\?, 3\\)'") as e:
            s.run(x * 2, {x: np.zeros((2, 4))})
    assert isinstance(e.value, tf.errors.InvalidArgumentError)
