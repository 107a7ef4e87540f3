"""dtype inference, constants, operators in both operand orders, slicing against
numpy, Tensor text and TF1 value helpers."""
import itertools
import operator

import numpy as np
import pytest

import nabla as tf


def run(t, feed=None):
    with tf.Session() as s:
        return s.run(t, feed)


def test_dtype_objects():
    assert tf.float32.name == "float32" and tf.float32.as_numpy_dtype is np.float32
    assert repr(tf.int64) == "tf.int64" and tf.float64.is_floating and tf.int32.is_integer
    assert tf.as_dtype("float") == tf.float32 and tf.as_dtype("double") == tf.float64
    assert tf.as_dtype(np.int64) is tf.int64 and tf.as_dtype(np.dtype("uint8")) is tf.uint8
    assert tf.as_dtype(3) is tf.int32 and tf.bool.as_numpy_dtype is np.bool_
    assert tf.float32 == "float32" and tf.float32 != tf.float64
    assert tf.int32.max == 2 ** 31 - 1 and tf.uint8.min == 0
    with pytest.raises(TypeError, match="Cannot convert value"):
        tf.as_dtype("nonsense")


def test_tf1_dtype_inference():
    assert tf.constant(1).dtype == tf.int32
    assert tf.constant(1.5).dtype == tf.float32
    assert tf.constant([[1, 2], [3, 4]]).dtype == tf.int32
    assert tf.constant([1, 2.5]).dtype == tf.float32
    assert tf.constant(True).dtype == tf.bool
    assert tf.constant(2 ** 40).dtype == tf.int64
    assert tf.constant(np.arange(3)).dtype == tf.int64          # numpy keeps its dtype
    assert tf.constant(np.float64(1)).dtype == tf.float64
    assert tf.constant(np.zeros(2, np.uint8)).dtype == tf.uint8
    assert tf.constant(1, dtype=tf.float64).dtype == tf.float64  # explicit dtype converts
    assert tf.constant([1, 2], dtype="float").dtype == tf.float32
    assert tf.placeholder("float", [None, 3]).dtype == tf.float32
    with pytest.raises(TypeError, match="Expected int32, got 1.5 of type 'float' instead."):
        tf.constant(1.5, dtype=tf.int32)
    with pytest.raises(TypeError, match="nabla has no dtype"):
        tf.constant(np.zeros(2, np.float16))
    assert run(tf.constant(7)) == 7 and isinstance(run(tf.constant(7)), np.int32)


def test_constant_shape_argument():
    np.testing.assert_array_equal(run(tf.constant(3.0, shape=[2, 2])), np.full((2, 2), 3.0))
    np.testing.assert_array_equal(run(tf.constant([1, 2, 3, 4], shape=[2, 2])),
                                  [[1, 2], [3, 4]])
    assert tf.constant(0.).get_shape().as_list() == []


def test_tensor_text_and_shape():
    x = tf.placeholder(tf.float32, [None, 784], name="x")
    assert str(x) == 'Tensor("x:0", shape=(?, 784), dtype=float32)'
    assert repr(x) == "<tf.Tensor 'x:0' shape=(?, 784) dtype=float32>"
    assert x.get_shape().as_list() == [None, 784] and x.shape[1].value == 784
    assert str(tf.constant([1., 2.]) + 1) == 'Tensor("add:0", shape=(2,), dtype=float32)'
    assert {x: 1}[x] == 1      # hashable: feed_dict keys
    assert x.op.type == "Placeholder" and x.graph is tf.get_default_graph()
    with pytest.raises(TypeError, match="Using a `tf.Tensor` as a Python `bool`"):
        bool(x)


FLOAT_OPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
             operator.mod, operator.pow]
CMP_OPS = [operator.lt, operator.le, operator.gt, operator.ge]


@pytest.mark.parametrize("op", FLOAT_OPS + CMP_OPS)
def test_binary_operators_both_orders_match_numpy(op):
    a = np.array([[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]], np.float32)
    b = np.array([2.0, 0.75, -3.0], np.float32)
    if op is operator.pow:
        a, b = np.abs(a), np.array([2.0, 0.5, 3.0], np.float32)
    ta, tb = tf.constant(a), tf.constant(b)
    for got, want in [(op(ta, tb), op(a, b)), (op(ta, 2.0), op(a, np.float32(2.0))),
                      (op(2.0, ta), op(np.float32(2.0), a)), (op(a, tb), op(a, b))]:
        r = run(got)
        assert r.dtype == want.dtype
        np.testing.assert_allclose(r, want, rtol=1e-6)


def test_integer_operators_and_truediv():
    a = np.array([7, -7, 9], np.int32)
    b = np.array([2, 2, -4], np.int32)
    ta = tf.constant(a)
    np.testing.assert_array_equal(run(ta // b), a // b)
    np.testing.assert_array_equal(run(ta % b), a % b)
    np.testing.assert_array_equal(run(10 - ta), 10 - a)
    r = run(ta / b)                      # TF1: int / int is float64 truediv
    assert r.dtype == np.float64
    np.testing.assert_allclose(r, a / b)


def test_unary_matmul_and_logical_operators():
    a = np.array([[1.0, -2.0], [3.0, -4.0]], np.float32)
    ta = tf.constant(a)
    np.testing.assert_array_equal(run(-ta), -a)
    np.testing.assert_array_equal(run(abs(ta)), np.abs(a))
    np.testing.assert_allclose(run(ta @ ta), a @ a)
    np.testing.assert_allclose(run(a @ ta), a @ a)
    p = tf.constant([True, True, False, False])
    q = np.array([True, False, True, False])
    np.testing.assert_array_equal(run(p & q), [True, False, False, False])
    np.testing.assert_array_equal(run(q | p), [True, True, True, False])
    np.testing.assert_array_equal(run(~p), [False, False, True, True])
    np.testing.assert_array_equal(run(p ^ q), [False, True, True, False])


def test_operators_on_variables():
    w = tf.Variable([1.0, 2.0])
    y = 2 * w + w * w - w / 2
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        np.testing.assert_allclose(s.run(y), [2.5, 7.0])
        np.testing.assert_allclose(s.run(w[1] * 3), 6.0)


SPECS = [
    (1,), (-1,), (slice(None),), (slice(1, None),), (slice(None, -1),), (slice(None, None, 2),),
    (slice(None, None, -1),), (slice(3, 0, -2),), (Ellipsis, 1), (None,), (1, None, slice(1, 3)),
    (Ellipsis, None), (slice(-100, 100),), (0, 1), (slice(None), 2), (-2, slice(None, None, -1)),
    (Ellipsis, slice(1, 2), 0), (slice(1, 3), Ellipsis, None),
]


@pytest.mark.parametrize("spec", SPECS, ids=[repr(s) for s in SPECS])
def test_slicing_matches_numpy(spec):
    x = np.arange(4 * 5 * 3, dtype=np.float32).reshape(4, 5, 3)
    t = tf.constant(x)
    got = t[spec if len(spec) > 1 else spec[0]]
    want = x[spec if len(spec) > 1 else spec[0]]
    assert got.op.type == "StridedSlice" and got.op.name == "strided_slice"
    assert tuple(got.get_shape().as_list()) == want.shape
    np.testing.assert_array_equal(run(got), want)


def test_random_slices_match_numpy():
    rng = np.random.RandomState(5)
    x = rng.randn(6, 7).astype(np.float32)
    t = tf.placeholder(tf.float32, [None, 7])
    for _ in range(40):
        def piece():
            k = rng.randint(3)
            if k == 0:
                return int(rng.randint(-5, 6))
            vals = [None] + list(range(-8, 9))
            step = rng.choice([None, 1, 2, -1, -3])
            return slice(rng.choice(vals), rng.choice(vals), step)
        spec = (piece(), piece())
        np.testing.assert_array_equal(run(t[spec], {t: x}), x[spec], err_msg=repr(spec))


def test_slicing_errors_are_tf1s():
    x = tf.constant(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="slice index 5 of dimension 0 out of bounds"):
        x[5]
    with pytest.raises(ValueError, match="strides\\[0\\] must be non-zero"):
        x[::0]
    with pytest.raises(TypeError, match="Only integers, slices"):
        x["a"]


def test_course_logistic_indexing_w1():
    w = tf.Variable([0.5, 2.0])
    X = tf.placeholder(tf.float32, shape=(None,))
    y = tf.sigmoid(-(w[1] * X + w[0]))
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        xs = np.array([0.0, 1.0, -1.0], np.float32)
        np.testing.assert_allclose(s.run(y, {X: xs}), 1 / (1 + np.exp(2.0 * xs + 0.5)),
                                   rtol=1e-6)


def test_value_helpers():
    np.testing.assert_array_equal(run(tf.zeros([2, 3], tf.int32)), np.zeros((2, 3), np.int32))
    np.testing.assert_array_equal(run(tf.ones_like(tf.constant([[1, 2]]))), [[1, 1]])
    np.testing.assert_array_equal(run(tf.fill([2], 7.0)), [7.0, 7.0])
    np.testing.assert_array_equal(run(tf.range(5)), np.arange(5))
    np.testing.assert_array_equal(run(tf.range(1, 10, 3)), [1, 4, 7])
    np.testing.assert_allclose(run(tf.linspace(0.0, 1.0, 5)), np.linspace(0, 1, 5))
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = tf.constant(x)
    np.testing.assert_array_equal(run(tf.reshape(t, [3, -1])), x.reshape(3, 2))
    np.testing.assert_array_equal(run(tf.transpose(t)), x.T)
    np.testing.assert_array_equal(run(tf.concat([t, t], 1)), np.concatenate([x, x], 1))
    np.testing.assert_array_equal(run(tf.stack([t, t], axis=1)), np.stack([x, x], 1))
    np.testing.assert_array_equal(run(tf.expand_dims(t, 0)), x[None])
    np.testing.assert_array_equal(run(tf.squeeze(tf.constant(x[None]))), x)
    for got, want in zip(run(tf.unstack(t)), x):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(run(tf.split(t, 3, axis=1)), np.split(x, 3, axis=1)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(run(tf.gather(t, [1, 0])), x[[1, 0]])
    np.testing.assert_array_equal(run(tf.tile(t, [2, 1])), np.tile(x, (2, 1)))
    np.testing.assert_array_equal(run(tf.one_hot([0, 2], 3)), np.eye(3, dtype=np.float32)[[0, 2]])
    np.testing.assert_array_equal(run(tf.shape(t)), [2, 3])
    assert run(tf.size(t)) == 6 and run(tf.rank(t)) == 2
    np.testing.assert_array_equal(run(tf.where(t > 2, t, -t)), np.where(x > 2, x, -x))
    np.testing.assert_array_equal(run(tf.argmax(t, 1)), [2, 2])
    assert run(tf.argmax(t, 1)).dtype == np.int64
    np.testing.assert_array_equal(run(tf.cast(t, tf.int32)), x.astype(np.int32))
    np.testing.assert_array_equal(run(tf.clip_by_value(t, 1, 4)), np.clip(x, 1, 4))
    np.testing.assert_array_equal(run(tf.round(tf.constant([0.5, 1.5, 2.5, -0.5, 2.4]))),
                                  np.round([0.5, 1.5, 2.5, -0.5, 2.4]))
    np.testing.assert_array_equal(run(tf.unsorted_segment_sum(t, [1, 1], 2)),
                                  [[0, 0, 0], x.sum(0)])
    np.testing.assert_allclose(run(tf.reduce_sum(t, axis=1, keepdims=True)),
                               x.sum(1, keepdims=True))
    np.testing.assert_allclose(run(tf.reduce_mean(t, reduction_indices=[0])), x.mean(0))
    np.testing.assert_allclose(run(tf.reduce_max(t, 1, keep_dims=True)), x.max(1, keepdims=True))
    assert run(tf.equal(t, x)).all()


def test_topk_in_topk_cumsum_reverse_where_any_all_match_numpy():
    x = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], np.float32)
    t = tf.constant(x)
    v, i = tf.nn.top_k(t, 2)
    with tf.Session() as s:
        vv, ii = s.run([v, i])
        np.testing.assert_array_equal(vv, -np.sort(-x, 1)[:, :2])
        np.testing.assert_array_equal(ii, np.argsort(-x, 1)[:, :2])
        np.testing.assert_array_equal(s.run(tf.nn.in_top_k(t, [1, 0], 1)), [True, False])
        np.testing.assert_array_equal(s.run(tf.nn.in_top_k(t, [1, 0], 2)), [True, True])
        np.testing.assert_array_equal(s.run(tf.cumsum(t, 1)), np.cumsum(x, 1))
        np.testing.assert_array_equal(s.run(tf.cumsum(t, 0, exclusive=True)),
                                      np.vstack([np.zeros(3), x[:1]]))
        np.testing.assert_array_equal(s.run(tf.reverse(t, [1])), x[:, ::-1])
        np.testing.assert_array_equal(s.run(tf.where(t > 3)), np.argwhere(x > 3))
        np.testing.assert_array_equal(s.run(tf.reduce_any(t > 5, 1)), (x > 5).any(1))
        assert s.run(tf.reduce_all(t > 0)) and not s.run(tf.reduce_all(t > 1))


def _np_cumprod(x, axis, exclusive, reverse):
    """A naive cumulative product along axis, by loops (numpy's cumprod only for
    the plain inclusive forward case)."""
    x = np.moveaxis(np.asarray(x), axis, -1)
    out = np.empty_like(x)
    n = x.shape[-1]
    for idx in np.ndindex(*x.shape[:-1]):
        for i in range(n):
            js = range(i, n) if reverse else range(0, i + 1)
            p = x.dtype.type(1)
            for j in js:
                if exclusive and j == i:
                    continue
                p = p * x[idx + (j,)]
            out[idx + (i,)] = p
    return np.moveaxis(out, -1, axis)


def test_cumprod_matches_numpy():
    x = np.array([[1.5, -2.0, 3.0, 0.5], [4.0, 0.0, -1.0, 2.0], [2.0, 2.0, 2.0, 2.0]], np.float32)
    xi = np.array([[2, 3, -1], [4, 5, 6]], np.int64)
    t, ti = tf.constant(x), tf.constant(xi)
    with tf.Session() as s:
        np.testing.assert_allclose(s.run(tf.cumprod(t, 1)), np.cumprod(x, 1), rtol=1e-6)
        np.testing.assert_allclose(s.run(tf.math.cumprod(t)), np.cumprod(x, 0), rtol=1e-6)
        np.testing.assert_array_equal(s.run(tf.cumprod(ti, -1)), np.cumprod(xi, -1))
        for axis in (0, 1, -1):
            for exclusive in (False, True):
                for reverse in (False, True):
                    got = s.run(tf.math.cumprod(t, axis=axis, exclusive=exclusive, reverse=reverse))
                    np.testing.assert_allclose(got, _np_cumprod(x, axis, exclusive, reverse), rtol=1e-6,
                                               err_msg="axis=%d exclusive=%s reverse=%s" % (axis, exclusive, reverse))
        # tf.math.cumsum is there too
        np.testing.assert_allclose(s.run(tf.math.cumsum(t, 1, reverse=True)),
                                   np.cumsum(x[:, ::-1], 1)[:, ::-1], rtol=1e-6)
    c = tf.cumprod(t, 1, name="cp")
    assert c.op.type == "Cumprod" and c.op.name == "cp"
    assert tf.cumprod(t).op.name.startswith("Cumprod")
    # gradient of sum(cumprod(v)) = v0 + v0 v1 + v0 v1 v2 at (2, 3, 4): (1 + 3 + 12, 2 + 8, 6)
    v = tf.constant([2.0, 3.0, 4.0])
    dv, = tf.gradients(tf.reduce_sum(tf.cumprod(v)), [v])
    with tf.Session() as s:
        np.testing.assert_allclose(s.run(dv), [16.0, 10.0, 6.0], rtol=1e-6)
    with pytest.raises(TypeError, match="axis"):
        tf.cumprod(t, tf.constant(1))


def test_diag_eye_trace_gather_scatter_nd_match_numpy():
    x = np.arange(9, dtype=np.float32).reshape(3, 3)
    t = tf.constant(x)
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(tf.matrix_diag([1.0, 2.0])), np.diag([1.0, 2.0]))
        np.testing.assert_array_equal(s.run(tf.matrix_diag_part(t)), np.diag(x))
        np.testing.assert_array_equal(s.run(tf.matrix_set_diag(t, [0.0, 0.0, 0.0])),
                                      x - np.diag(np.diag(x)))
        np.testing.assert_array_equal(s.run(tf.eye(3)), np.eye(3))
        assert s.run(tf.trace(t)) == np.trace(x)
        np.testing.assert_array_equal(s.run(tf.gather_nd(t, [[0, 1], [2, 2]])), [1.0, 8.0])
        np.testing.assert_array_equal(s.run(tf.scatter_nd([[1], [1], [3]], [5.0, 1.0, 2.0], [4])),
                                      [0.0, 6.0, 0.0, 2.0])


def test_where_is_tf1_select_and_where_v2_broadcasts():
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    y = -x
    rows = np.array([True, False, True])
    elem = x > 2.5
    with tf.Session() as s:
        w = tf.where(rows, x, y)  # TF1: a vector picks whole rows
        assert w.op.type == "Select"
        np.testing.assert_array_equal(s.run(w), np.where(rows[:, None], x, y))
        np.testing.assert_array_equal(s.run(tf.where(elem, x, y)), np.where(elem, x, y))
        v2 = tf.where_v2(x > 2.5, x, 0.0)  # broadcasts a scalar, as numpy does
        assert v2.op.type == "SelectV2"
        np.testing.assert_array_equal(s.run(v2), np.where(elem, x, 0.0))
    # TF1's Select does not broadcast: the shape error comes from libnabla at build time
    with pytest.raises(ValueError, match=r"'then' and 'else' must have the same size.  but are: \[3,2\] vs. \[2\]"):
        tf.where(elem, x, np.zeros(2, np.float32))
