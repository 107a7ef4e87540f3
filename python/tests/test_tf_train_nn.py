"""Training (optimizers against hand-written numpy updates, gradients against
finite differences, global step, decay) and tf.nn / tf.layers against numpy."""
import numpy as np
import pytest

import nabla as tf


def _one_step(opt, w0, x, steps=3):
    """Runs `steps` updates of loss = sum((w * x - 1)^2); returns w after each."""
    tf.reset_default_graph()
    w = tf.Variable(w0, name="w")
    loss = tf.reduce_sum(tf.square(w * x - 1.0))
    train = opt.minimize(loss)
    out = []
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        for _ in range(steps):
            s.run(train)
            out.append(s.run(w))
    return out


def _grad(w, x):
    return 2 * (w * x - 1.0) * x


W0 = np.array([0.5, -1.0, 2.0], np.float64)
X = np.array([1.0, 2.0, -0.5], np.float64)


def test_gradient_descent_and_momentum_match_numpy():
    got = _one_step(tf.train.GradientDescentOptimizer(0.1), W0, X)
    w = W0.copy()
    for g in got:
        w = w - 0.1 * _grad(w, X)
        np.testing.assert_allclose(g, w, rtol=1e-6)  # TF1 also holds the rate as float32
    for nesterov in (False, True):
        got = _one_step(tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=nesterov), W0, X)
        w, acc = W0.copy(), np.zeros(3)
        for g in got:
            gr = _grad(w, X)
            acc = 0.9 * acc + gr
            w = w - 0.1 * (gr + 0.9 * acc if nesterov else acc)
            np.testing.assert_allclose(g, w, rtol=1e-6)  # TF1 also holds the rate as float32


def test_adagrad_rmsprop_adam_match_numpy():
    got = _one_step(tf.train.AdagradOptimizer(0.1), W0, X)
    w, acc = W0.copy(), np.full(3, 0.1)
    for g in got:
        gr = _grad(w, X)
        acc += gr * gr
        w = w - 0.1 * gr / np.sqrt(acc)
        np.testing.assert_allclose(g, w, rtol=1e-6)  # TF1 also holds the rate as float32
    got = _one_step(tf.train.RMSPropOptimizer(0.01, decay=0.9, momentum=0.5, epsilon=1e-10), W0, X)
    w, ms, mom = W0.copy(), np.ones(3), np.zeros(3)
    for g in got:
        gr = _grad(w, X)
        ms = 0.9 * ms + 0.1 * gr * gr
        mom = 0.5 * mom + 0.01 * gr / np.sqrt(ms + 1e-10)
        w = w - mom
        np.testing.assert_allclose(g, w, rtol=1e-6)  # TF1 also holds the rate as float32
    got = _one_step(tf.train.AdamOptimizer(0.01), W0, X)
    w, m, v = W0.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(got, 1):
        gr = _grad(w, X)
        m = 0.9 * m + 0.1 * gr
        v = 0.999 * v + 0.001 * gr * gr
        lr = 0.01 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        w = w - lr * m / (np.sqrt(v) + 1e-8)
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_gradients_match_finite_differences():
    x0 = np.array([0.3, -1.2, 2.0])
    x = tf.placeholder(tf.float64, [3])
    y = tf.reduce_sum(tf.tanh(x) * tf.exp(x) / (1 + x * x))
    (g,) = tf.gradients(y, [x])
    f = lambda v: np.sum(np.tanh(v) * np.exp(v) / (1 + v * v))
    eps = 1e-6
    fd = np.array([(f(x0 + eps * e) - f(x0 - eps * e)) / (2 * eps) for e in np.eye(3)])
    with tf.Session() as s:
        np.testing.assert_allclose(s.run(g, {x: x0}), fd, rtol=1e-6)
    z = tf.constant(1.0, tf.float64)
    assert tf.gradients(y, [z]) == [None]


def test_compute_and_apply_gradients_with_global_step_and_decay():
    step = tf.train.get_or_create_global_step()
    assert step.name == "global_step:0" and tf.train.get_global_step() is step
    lr = tf.train.exponential_decay(0.1, step, 10, 0.5, staircase=True)
    lr2 = tf.train.exponential_decay(0.1, step, 10, 0.5)
    w = tf.Variable(1.0)
    opt = tf.train.GradientDescentOptimizer(lr)
    gv = opt.compute_gradients(tf.square(w))
    assert gv[0][1] is w and gv[0][0].name.startswith("gradients")
    train = opt.apply_gradients(gv, global_step=step)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        want = 1.0
        for i in range(12):
            s.run(train)
            want -= 0.1 * 0.5 ** (i // 10) * 2 * want
        assert s.run(step) == 12
        assert s.run(w) == pytest.approx(want, rel=1e-6)
        assert s.run(lr) == pytest.approx(0.05) and s.run(lr2) == pytest.approx(0.1 * 0.5 ** 1.2)


def test_nn_functions_match_numpy():
    z = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]], np.float32)
    t = tf.constant(z)
    lab = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], np.float32)
    sm = np.exp(z - z.max(1, keepdims=True))
    sm /= sm.sum(1, keepdims=True)
    with tf.Session() as s:
        np.testing.assert_allclose(s.run(tf.nn.relu(t)), np.maximum(z, 0))
        np.testing.assert_allclose(s.run(tf.nn.relu6(t * 4)), np.clip(z * 4, 0, 6))
        np.testing.assert_allclose(s.run(tf.nn.softmax(t)), sm, rtol=1e-6)
        np.testing.assert_allclose(s.run(tf.nn.log_softmax(t)), np.log(sm), rtol=1e-5)
        np.testing.assert_allclose(s.run(tf.nn.sigmoid(t)), 1 / (1 + np.exp(-z)), rtol=1e-6)
        np.testing.assert_allclose(s.run(tf.nn.elu(t)), np.where(z > 0, z, np.exp(z) - 1),
                                   rtol=1e-6)
        np.testing.assert_allclose(s.run(tf.nn.softplus(t)), np.log1p(np.exp(z)), rtol=1e-6)
        ce = -(lab * np.log(sm)).sum(1)
        np.testing.assert_allclose(
            s.run(tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=t)), ce, rtol=1e-5)
        np.testing.assert_allclose(
            s.run(tf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=t)), ce,
            rtol=1e-5)
        np.testing.assert_allclose(
            s.run(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[2, 0], logits=t)),
            -np.log(sm[[0, 1], [2, 0]]), rtol=1e-5)
        y01 = (lab > 0.25).astype(np.float32)
        np.testing.assert_allclose(
            s.run(tf.nn.sigmoid_cross_entropy_with_logits(labels=y01, logits=t)),
            np.maximum(z, 0) - z * y01 + np.log1p(np.exp(-np.abs(z))), rtol=1e-5)
        assert s.run(tf.nn.l2_loss(t)) == pytest.approx((z ** 2).sum() / 2)
        m, v = s.run(tf.nn.moments(t, [0]))
        np.testing.assert_allclose(m, z.mean(0), rtol=1e-6)
        np.testing.assert_allclose(v, z.var(0), rtol=1e-5)
        np.testing.assert_allclose(s.run(tf.nn.bias_add(t, [1.0, 2.0, 3.0])), z + [1, 2, 3])


def test_v1_cross_entropy_sends_no_gradient_to_labels():
    lab = tf.Variable(np.array([[0.2, 0.8]], np.float32))
    logits = tf.Variable(np.array([[1.0, 2.0]], np.float32))
    v1 = tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=logits)
    v2 = tf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=logits)
    assert tf.gradients(v1, [lab]) == [None]
    assert tf.gradients(v2, [lab])[0] is not None


def test_dropout_keeps_expected_fraction_and_scales():
    x = tf.ones([10000])
    kp = tf.placeholder(tf.float32)
    y = tf.nn.dropout(x, kp)
    with tf.Session() as s:
        r = s.run(y, {kp: 0.25})
        assert set(np.unique(r)) <= {0.0, 4.0}
        assert abs((r > 0).mean() - 0.25) < 0.03
        np.testing.assert_array_equal(s.run(y, {kp: 1.0}), np.ones(10000))


def _conv_ref(x, f, stride, pad):
    n, h, w, c = x.shape
    fh, fw, _, o = f.shape
    if pad == "SAME":
        oh, ow = -(-h // stride), -(-w // stride)
        ph = max((oh - 1) * stride + fh - h, 0)
        pw = max((ow - 1) * stride + fw - w, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - fh) // stride + 1, (w - fw) // stride + 1
    out = np.zeros((n, oh, ow, o))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride:i * stride + fh, j * stride:j * stride + fw, :]
            out[:, i, j, :] = np.tensordot(patch, f, axes=([1, 2, 3], [0, 1, 2]))
    return out


def test_conv_and_pool_match_naive_loops():
    rng = np.random.RandomState(0)
    x = rng.randn(2, 7, 6, 3).astype(np.float32)
    f = rng.randn(3, 3, 3, 4).astype(np.float32)
    with tf.Session() as s:
        for stride in (1, 2):
            for pad in ("SAME", "VALID"):
                got = s.run(tf.nn.conv2d(x, f, strides=[1, stride, stride, 1], padding=pad))
                np.testing.assert_allclose(got, _conv_ref(x, f, stride, pad), rtol=1e-4,
                                           atol=1e-4)
        mp = s.run(tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID"))
        np.testing.assert_array_equal(mp, x[:, :6].reshape(2, 3, 2, 3, 2, 3).max((2, 4)))
        ap = s.run(tf.nn.avg_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID"))
        np.testing.assert_allclose(ap, x[:, :6].reshape(2, 3, 2, 3, 2, 3).mean((2, 4)),
                                   rtol=1e-6)


def test_layers_names_shapes_and_values():
    x = tf.placeholder(tf.float32, [None, 28, 28, 1])
    c = tf.layers.conv2d(x, 8, 5, padding="same", activation=tf.nn.relu)
    p = tf.layers.max_pooling2d(c, 2, 2)
    flat = tf.layers.flatten(p)
    d = tf.layers.dense(flat, 16, activation=tf.nn.relu)
    drop = tf.layers.dropout(d, rate=0.5, training=False)
    out = tf.layers.dense(drop, 10)
    assert c.op.name == "conv2d/Relu" and p.op.name == "max_pooling2d/MaxPool"
    assert flat.get_shape().as_list() == [None, 14 * 14 * 8]
    assert d.op.name == "dense/Relu" and out.op.name == "dense_1/BiasAdd"
    names = [v.name for v in tf.trainable_variables()]
    assert names == ["conv2d/kernel:0", "conv2d/bias:0", "dense/kernel:0", "dense/bias:0",
                     "dense_1/kernel:0", "dense_1/bias:0"]
    xs = np.random.RandomState(1).rand(3, 28, 28, 1).astype(np.float32)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        vals = s.run({v.name: v for v in tf.trainable_variables()})
        got = s.run(out, {x: xs})
    k1, b1 = vals["conv2d/kernel:0"], vals["conv2d/bias:0"]
    h = np.maximum(_conv_ref(xs, k1, 1, "SAME") + b1, 0)
    h = h.reshape(3, 14, 2, 14, 2, 8).max((2, 4)).reshape(3, -1)
    h = np.maximum(h @ vals["dense/kernel:0"] + vals["dense/bias:0"], 0)
    want = h @ vals["dense_1/kernel:0"] + vals["dense_1/bias:0"]
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)
    lim = np.sqrt(6 / (16 + 10))
    assert np.abs(vals["dense_1/kernel:0"]).max() <= lim


def test_dense_with_custom_initializer_and_reuse():
    x = tf.constant(np.ones((2, 3), np.float32))
    y1 = tf.layers.dense(x, 2, kernel_initializer=tf.constant_initializer(0.5), name="fc")
    y2 = tf.layers.dense(x, 2, name="fc", reuse=True)
    assert len(tf.trainable_variables()) == 2
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        a, b = s.run([y1, y2])
    np.testing.assert_allclose(a, np.full((2, 2), 1.5))
    np.testing.assert_allclose(a, b)


def test_batch_normalization_training_and_update_ops():
    rng = np.random.RandomState(2)
    xs = rng.randn(8, 3).astype(np.float32) * 3 + 1
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.layers.batch_normalization(x, training=True, momentum=0.5)
    ups = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(ups) == 2
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        got, _ = s.run([y, ups], {x: xs})
        mm = s.run(tf.get_default_graph().get_tensor_by_name(
            "batch_normalization/moving_mean/read:0"))
    want = (xs - xs.mean(0)) / np.sqrt(xs.var(0) + 1e-3)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(mm, 0.5 * xs.mean(0), rtol=1e-5)
