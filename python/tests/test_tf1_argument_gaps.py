"""Every TF1 argument that docs/tf1_arguments.md lists as unsupported raises a clear
error that names the argument, instead of being silently ignored (which would give
a TF1 user a wrong answer). One row per listed gap; the second half checks that the
arguments the document calls supported do what TF1 does (values computed here with
numpy, independently of nabla)."""
import numpy as np
import pytest

import nabla as tf


def _x2():
    return tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))


def _x4():
    return tf.placeholder(tf.float32, [2, 6, 6, 3])


def _fn(v):
    return v


# (id, builder, exception type, text the message must contain)
GAPS = [
    # conv / pool
    ("conv2d data_format", lambda: tf.nn.conv2d(_x4(), tf.ones([3, 3, 3, 4]), [1, 1, 1, 1],
                                                "SAME", data_format="NCHW"),
     NotImplementedError, "data_format"),
    ("conv2d explicit padding", lambda: tf.nn.conv2d(_x4(), tf.ones([3, 3, 3, 4]), [1, 1, 1, 1],
                                                     [[0, 0], [1, 1], [1, 1], [0, 0]]),
     NotImplementedError, "padding"),
    ("conv2d_backprop_input data_format",
     lambda: tf.nn.conv2d_backprop_input([2, 6, 6, 3], tf.ones([3, 3, 3, 4]),
                                         tf.ones([2, 6, 6, 4]), [1, 1, 1, 1], "SAME",
                                         data_format="NCHW"),
     NotImplementedError, "data_format"),
    ("conv2d_backprop_filter data_format",
     lambda: tf.nn.conv2d_backprop_filter(_x4(), [3, 3, 3, 4], tf.ones([2, 6, 6, 4]),
                                          [1, 1, 1, 1], "SAME", data_format="NCHW"),
     NotImplementedError, "data_format"),
    ("max_pool data_format", lambda: tf.nn.max_pool(_x4(), [1, 2, 2, 1], [1, 2, 2, 1], "SAME",
                                                    data_format="NCHW"),
     NotImplementedError, "data_format"),
    ("avg_pool explicit padding", lambda: tf.nn.avg_pool(_x4(), [1, 2, 2, 1], [1, 2, 2, 1],
                                                         [[0, 0], [1, 1], [1, 1], [0, 0]]),
     NotImplementedError, "padding"),
    ("max_pool ksize over depth", lambda: tf.nn.max_pool(_x4(), [1, 2, 2, 3], [1, 2, 2, 1],
                                                         "SAME"),
     ValueError, "ksize"),
    ("bias_add data_format", lambda: tf.nn.bias_add(_x4(), tf.ones([3]), data_format="NCHW"),
     NotImplementedError, "data_format"),
    ("fused_batch_norm data_format",
     lambda: tf.nn.fused_batch_norm(_x4(), tf.ones([3]), tf.ones([3]), data_format="NCHW"),
     NotImplementedError, "data_format"),
    # activations and losses
    ("softmax axis", lambda: tf.nn.softmax(_x2(), axis=0), NotImplementedError, "axis"),
    ("log_softmax axis", lambda: tf.nn.log_softmax(_x2(), axis=0), NotImplementedError, "axis"),
    ("softmax_cross_entropy_with_logits_v2 axis",
     lambda: tf.nn.softmax_cross_entropy_with_logits_v2(labels=_x2(), logits=_x2(), axis=0),
     NotImplementedError, "axis"),
    ("dropout noise_shape", lambda: tf.nn.dropout(_x2(), 0.5, noise_shape=[2, 1]),
     NotImplementedError, "noise_shape"),
    ("embedding_lookup max_norm", lambda: tf.nn.embedding_lookup(_x2(), [0], max_norm=1.0),
     NotImplementedError, "max_norm"),
    ("embedding_lookup several params", lambda: tf.nn.embedding_lookup([_x2(), _x2()], [0]),
     NotImplementedError, "params"),
    ("top_k tensor k", lambda: tf.nn.top_k(_x2(), tf.constant(1)), TypeError, "k as a Python"),
    ("losses weights", lambda: tf.losses.mean_squared_error(_x2(), _x2(), weights=2.0),
     NotImplementedError, "weights"),
    ("losses reduction SUM",
     lambda: tf.losses.mean_squared_error(_x2(), _x2(), reduction=tf.losses.Reduction.SUM),
     NotImplementedError, "reduction"),
    ("losses reduction NONE",
     lambda: tf.losses.absolute_difference(_x2(), _x2(), reduction=tf.losses.Reduction.NONE),
     NotImplementedError, "reduction"),
    ("softmax_cross_entropy label_smoothing",
     lambda: tf.losses.softmax_cross_entropy(tf.ones([2, 3]), _x2(), label_smoothing=0.1),
     NotImplementedError, "label_smoothing"),
    ("sigmoid_cross_entropy label_smoothing",
     lambda: tf.losses.sigmoid_cross_entropy(tf.ones([2, 3]), _x2(), label_smoothing=0.1),
     NotImplementedError, "label_smoothing"),
    # reductions, math, indexing with tensor arguments
    ("reduce_max tensor axis", lambda: tf.reduce_max(_x2(), tf.constant(1), keepdims=True),
     TypeError, "axis"),
    ("reduce_prod tensor axis", lambda: tf.reduce_prod(_x2(), tf.constant(1)), TypeError, "axis"),
    ("reduce_min tensor axis", lambda: tf.reduce_min(_x2(), tf.constant(1)), TypeError, "axis"),
    ("reduce_logsumexp tensor axis", lambda: tf.reduce_logsumexp(_x2(), tf.constant(1)),
     TypeError, "axis"),
    ("argmax tensor axis", lambda: tf.argmax(_x2(), tf.constant(1)), TypeError, "axis"),
    ("cumsum tensor axis", lambda: tf.cumsum(_x2(), tf.constant(1)), TypeError, "axis"),
    ("concat tensor axis", lambda: tf.concat([_x2(), _x2()], tf.constant(0)), TypeError, "axis"),
    ("gather tensor axis", lambda: tf.gather(_x2(), [0], axis=tf.constant(1)), TypeError, "axis"),
    ("gather batch_dims", lambda: tf.gather(_x2(), [0], batch_dims=0), TypeError, "batch_dims"),
    ("split tensor sizes", lambda: tf.split(_x2(), tf.constant([1, 2]), axis=1),
     NotImplementedError, "tensor"),
    ("boolean_mask", lambda: tf.boolean_mask(_x2(), [True, False]), NotImplementedError,
     "boolean_mask"),
    ("pad constant_values tensor",
     lambda: tf.pad(_x2(), [[1, 1], [0, 0]], constant_values=tf.constant(2.0)),
     TypeError, "constant_values"),
    ("pad unknown mode", lambda: tf.pad(_x2(), [[1, 1], [0, 0]], "WRAP"), ValueError, "mode"),
    ("one_hot tensor axis", lambda: tf.one_hot([0, 1], 3, axis=tf.constant(0)), TypeError,
     "axis"),
    # random
    ("random_uniform int dtype", lambda: tf.random_uniform([2], maxval=5, dtype=tf.int32),
     TypeError, "dtype"),
    ("random_normal float16", lambda: tf.random_normal([2], dtype=tf.float16), TypeError,
     "float16"),
    ("random_normal tensor mean", lambda: tf.random_normal([2], mean=tf.constant(1.0)),
     TypeError, "mean"),
    ("truncated_normal tensor stddev", lambda: tf.truncated_normal([2], stddev=tf.constant(1.0)),
     TypeError, "stddev"),
    ("random_uniform tensor shape", lambda: tf.random_uniform(tf.constant([2])), TypeError,
     "shape"),
    # variables / initializers
    ("Variable constraint", lambda: tf.Variable(1.0, constraint=_fn), NotImplementedError,
     "constraint"),
    ("get_variable partitioner", lambda: tf.get_variable("p", [4], partitioner=_fn),
     NotImplementedError, "partitioner"),
    ("get_variable custom_getter", lambda: tf.get_variable("c", [4], custom_getter=_fn),
     NotImplementedError, "custom_getter"),
    ("get_variable constraint", lambda: tf.get_variable("k", [4], constraint=_fn),
     NotImplementedError, "constraint"),
    ("variable_scope custom_getter", lambda: tf.variable_scope("s", custom_getter=_fn),
     NotImplementedError, "custom_getter"),
    ("variable_scope partitioner", lambda: tf.variable_scope("s", partitioner=_fn),
     NotImplementedError, "partitioner"),
    ("constant_initializer verify_shape",
     lambda: tf.constant_initializer([1.0, 2.0], verify_shape=True)([3]), TypeError, "shape"),
    # layers
    ("layers.dense kernel_constraint", lambda: tf.layers.dense(_x2(), 2, kernel_constraint=_fn),
     NotImplementedError, "kernel_constraint"),
    ("layers.dense activity_regularizer",
     lambda: tf.layers.dense(_x2(), 2, activity_regularizer=_fn), NotImplementedError,
     "activity_regularizer"),
    ("layers.Dense kernel_regularizer", lambda: tf.layers.Dense(2, kernel_regularizer=_fn),
     NotImplementedError, "kernel_regularizer"),
    ("layers.conv2d data_format",
     lambda: tf.layers.conv2d(_x4(), 2, 3, data_format="channels_first"), NotImplementedError,
     "channels_last"),
    ("layers.conv2d bias_constraint", lambda: tf.layers.conv2d(_x4(), 2, 3, bias_constraint=_fn),
     NotImplementedError, "bias_constraint"),
    ("layers.flatten data_format",
     lambda: tf.layers.flatten(_x4(), data_format="channels_first"), NotImplementedError,
     "data_format"),
    ("layers.batch_normalization axis", lambda: tf.layers.batch_normalization(_x4(), axis=1),
     NotImplementedError, "last axis"),
    ("layers.batch_normalization renorm",
     lambda: tf.layers.batch_normalization(_x4(), renorm=True), NotImplementedError, "renorm"),
    ("layers.batch_normalization virtual_batch_size",
     lambda: tf.layers.batch_normalization(_x4(), virtual_batch_size=1), NotImplementedError,
     "virtual_batch_size"),
    ("layers.batch_normalization gamma_regularizer",
     lambda: tf.layers.batch_normalization(_x4(), gamma_regularizer=_fn), NotImplementedError,
     "gamma_regularizer"),
    ("layers.batch_normalization beta_constraint",
     lambda: tf.layers.batch_normalization(_x4(), beta_constraint=_fn), NotImplementedError,
     "beta_constraint"),
    ("layers.batch_normalization adjustment",
     lambda: tf.layers.batch_normalization(_x4(), adjustment=_fn), NotImplementedError,
     "adjustment"),
    ("layers.dropout noise_shape", lambda: tf.layers.dropout(_x2(), noise_shape=[2, 1]),
     NotImplementedError, "noise_shape"),
    ("layers.Dropout noise_shape", lambda: tf.layers.Dropout(noise_shape=[2, 1]),
     NotImplementedError, "noise_shape"),
    # train
    ("RMSProp centered", lambda: tf.train.RMSPropOptimizer(0.1, centered=True),
     NotImplementedError, "centered"),
    ("gradients stop_gradients", lambda: tf.gradients(_x2(), [_x2()], stop_gradients=[_x2()]),
     NotImplementedError, "stop_gradients"),
    ("gradients unconnected_gradients",
     lambda: tf.gradients(_x2(), [_x2()], unconnected_gradients="zero"), TypeError,
     "unconnected_gradients"),
    ("minimize grad_loss",
     lambda: tf.train.GradientDescentOptimizer(0.1).minimize(
         tf.reduce_sum(tf.Variable([1.0])), grad_loss=tf.constant(2.0)),
     NotImplementedError, "grad_loss"),
    ("compute_gradients grad_loss",
     lambda: tf.train.AdamOptimizer().compute_gradients(
         tf.reduce_sum(tf.Variable([1.0])), grad_loss=tf.constant(2.0)),
     NotImplementedError, "grad_loss"),
    ("Saver var_list renamed", lambda: tf.train.Saver({"foo": tf.Variable(1.0, name="v")}),
     NotImplementedError, "own names"),
    # summary / session
    ("summary.text", lambda: tf.summary.text("t", tf.constant(1.0)), NotImplementedError,
     "text"),
    ("summary.audio", lambda: tf.summary.audio("a", tf.constant(1.0), 8000),
     NotImplementedError, "audio"),
    ("Session.partial_run_setup", lambda: tf.Session().partial_run_setup([_x2()]),
     NotImplementedError, "partial_run"),
]


@pytest.mark.parametrize("case", GAPS, ids=[c[0] for c in GAPS])
def test_unsupported_tf1_argument_raises(case):
    _, build, exc, text = case
    with tf.Graph().as_default():
        with pytest.raises(exc) as info:
            build()
    assert text.lower() in str(info.value).lower(), str(info.value)


def test_listed_arguments_are_in_the_document():
    """Each row above names an argument the document lists."""
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "docs", "tf1_arguments.md")) as f:
        doc = f.read()
    for arg in ("data_format", "dilations", "noise_shape", "max_norm", "label_smoothing",
                "reduction", "centered", "stop_gradients", "grad_loss", "custom_getter",
                "partitioner", "constraint", "renorm", "virtual_batch_size", "batch_dims",
                "verify_shape", "unconnected_gradients", "activity_regularizer"):
        assert "`%s" % arg in doc, arg


# ------------------------------------------------------------ supported as TF1


def test_truncated_normal_float64_within_two_stddev():
    with tf.Graph().as_default():
        t = tf.truncated_normal([4000], mean=3.0, stddev=0.5, dtype=tf.float64, seed=7)
        with tf.Session() as s:
            v = s.run(t)
    assert v.dtype == np.float64
    assert np.all(np.abs(v - 3.0) <= 1.0)
    # a normal truncated at +-2 sigma has standard deviation 0.8796 sigma
    assert abs(v.std() - 0.8796 * 0.5) < 0.02


def test_reduce_sum_and_mean_tensor_axis_keepdims():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    with tf.Graph().as_default():
        x = tf.constant(a)
        ax = tf.placeholder(tf.int32, [])
        s_ = tf.reduce_sum(x, ax, keepdims=True)
        m_ = tf.reduce_mean(x, ax, keepdims=True)
        with tf.Session() as s:
            r0, r1 = s.run([s_, m_], {ax: 0})
            q0 = s.run(s_, {ax: 1})
    np.testing.assert_allclose(r0, a.sum(axis=0, keepdims=True))
    np.testing.assert_allclose(r1, a.mean(axis=0, keepdims=True))
    np.testing.assert_allclose(q0, a.sum(axis=1, keepdims=True))


def test_conv2d_dilations_match_numpy():
    rng = np.random.RandomState(0)
    x = rng.randn(1, 7, 7, 2).astype(np.float32)
    w = rng.randn(2, 2, 2, 3).astype(np.float32)
    d = 2
    out = np.zeros((1, 5, 5, 3), np.float32)  # VALID: 7 - (2-1)*2 = 5
    for i in range(5):
        for j in range(5):
            for a in range(2):
                for b in range(2):
                    out[0, i, j] += x[0, i + a * d, j + b * d] @ w[a, b]
    with tf.Graph().as_default():
        y = tf.nn.conv2d(tf.constant(x), tf.constant(w), [1, 1, 1, 1], "VALID",
                         dilations=[1, d, d, 1])
        with tf.Session() as s:
            got = s.run(y)
    np.testing.assert_allclose(got, out, rtol=1e-4, atol=1e-4)


def test_argmax_output_type_int32():
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], np.float32)
    with tf.Graph().as_default():
        r = tf.argmax(tf.constant(a), 1, output_type=tf.int32)
        with tf.Session() as s:
            v = s.run(r)
    assert v.dtype == np.int32
    np.testing.assert_array_equal(v, a.argmax(axis=1))


def test_argmax_output_type_is_the_ops_attr():
    # TF1 builds one ArgMax/ArgMin node whose output_type attr says int32 (no Cast)
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], np.float32)
    with tf.Graph().as_default() as g:
        r = tf.argmin(tf.constant(a), 0, output_type=tf.int32)
        assert r.op.type == "ArgMin"
        assert r.dtype == tf.int32
        r64 = tf.argmax(tf.constant(a), 0)
        assert r64.dtype == tf.int64
        assert not [op for op in g.get_operations() if op.type == "Cast"]
        with tf.Session() as s:
            v, v64 = s.run([r, r64])
    assert v.dtype == np.int32 and v64.dtype == np.int64
    # columns (1, 7), (5, 0), (2, 3): min at rows 0, 1, 0; max at 1, 0, 1
    np.testing.assert_array_equal(v, [0, 1, 0])
    np.testing.assert_array_equal(v64, [1, 0, 1])


def test_argmax_output_type_float_is_rejected():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="output_type"):
            tf.argmax(tf.constant([1.0, 2.0]), 0, output_type=tf.float32)


@pytest.mark.parametrize("mode", ["REFLECT", "SYMMETRIC", "reflect"])
def test_pad_mirror_modes_match_numpy(mode):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    pads = [[1, 2], [2, 1]]
    with tf.Graph().as_default():
        r = tf.pad(tf.constant(a), pads, mode)
        assert r.op.type == "MirrorPad"
        with tf.Session() as s:
            got = s.run(r)
    np.testing.assert_array_equal(got, np.pad(a, pads, mode.lower()))


def test_pad_constant_values_is_padv2():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    with tf.Graph().as_default():
        r = tf.pad(tf.constant(a), [[1, 0], [0, 2]], constant_values=7.5)
        z = tf.pad(tf.constant(a), [[1, 0], [0, 2]])
        assert (r.op.type, z.op.type) == ("PadV2", "Pad")
        with tf.Session() as s:
            got = s.run(r)
    np.testing.assert_array_equal(got, np.pad(a, [[1, 0], [0, 2]], constant_values=7.5))


def test_pad_reflect_gradient_adds_mirrored_cells():
    a = np.arange(3, dtype=np.float32).reshape(1, 3)
    w = np.arange(5, dtype=np.float32).reshape(1, 5)  # weights of [a1, a0, a1, a2, a1]
    with tf.Graph().as_default():
        x = tf.constant(a)
        y = tf.reduce_sum(tf.pad(x, [[0, 0], [1, 1]], "REFLECT") * tf.constant(w))
        g = tf.gradients(y, x)[0]
        with tf.Session() as s:
            got = s.run(g)
    np.testing.assert_array_equal(got, [[1.0, 0.0 + 2.0 + 4.0, 3.0]])


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_one_hot_axis_matches_numpy(axis):
    idx = np.array([[0, 2], [1, 5]], np.int32)  # 5 is out of range: all off_value
    depth = 3
    full = (idx[..., None] == np.arange(depth)).astype(np.float32) * 4.0 - 1.0  # axis -1
    want = full if axis in (-1, 2) else np.moveaxis(full, -1, axis)
    with tf.Graph().as_default():
        r = tf.one_hot(idx, depth, on_value=3.0, off_value=-1.0, axis=axis)
        with tf.Session() as s:
            got = s.run(r)
    np.testing.assert_array_equal(got, want)
