"""tf.errors: every class is an OpError with TF1's (node_def, op, message)
constructor; libnabla's failures arrive as the right class with its message;
graph-building mistakes raise ValueError / TypeError at construction."""
import os

import numpy as np
import pytest

import nabla as tf

CLASSES = [
    ("CancelledError", 1), ("UnknownError", 2), ("InvalidArgumentError", 3),
    ("DeadlineExceededError", 4), ("NotFoundError", 5), ("AlreadyExistsError", 6),
    ("PermissionDeniedError", 7), ("ResourceExhaustedError", 8),
    ("FailedPreconditionError", 9), ("AbortedError", 10), ("OutOfRangeError", 11),
    ("UnimplementedError", 12), ("InternalError", 13), ("UnavailableError", 14),
    ("DataLossError", 15), ("UnauthenticatedError", 16),
]


@pytest.mark.parametrize("name,code", CLASSES)
def test_every_class_is_an_op_error_with_tf1s_constructor(name, code):
    cls = getattr(tf.errors, name)
    assert issubclass(cls, tf.errors.OpError)
    e = cls("node", "op", "what went wrong")
    assert (e.node_def, e.op, e.message, e.error_code) == ("node", "op", "what went wrong", code)
    assert str(e) == "what went wrong"
    assert tf.errors.exception_type_from_error_code(code) is cls
    assert getattr(tf.errors, name.replace("Error", "").upper()
                   .replace("INVALIDARGUMENT", "INVALID_ARGUMENT")
                   .replace("DEADLINEEXCEEDED", "DEADLINE_EXCEEDED")
                   .replace("NOTFOUND", "NOT_FOUND").replace("ALREADYEXISTS", "ALREADY_EXISTS")
                   .replace("PERMISSIONDENIED", "PERMISSION_DENIED")
                   .replace("RESOURCEEXHAUSTED", "RESOURCE_EXHAUSTED")
                   .replace("FAILEDPRECONDITION", "FAILED_PRECONDITION")
                   .replace("OUTOFRANGE", "OUT_OF_RANGE").replace("DATALOSS", "DATA_LOSS")) \
        == code


def test_uninitialized_variable_is_failed_precondition():
    w = tf.Variable(tf.zeros([2]), name="weights")
    with tf.Session() as s:
        with pytest.raises(tf.errors.FailedPreconditionError) as e:
            s.run(w * 2)
    assert "weights" in str(e.value)
    assert "uninitialized" in str(e.value).lower()


def test_missing_feed_and_bad_label_are_invalid_argument():
    x = tf.placeholder(tf.float32, [None], name="xin")
    with tf.Session() as s:
        with pytest.raises(tf.errors.InvalidArgumentError, match="xin"):
            s.run(x + 1)
    logits = tf.constant(np.zeros((2, 3), np.float32))
    labels = tf.placeholder(tf.int32, [2])
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    with tf.Session() as s:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Received a label value of 5 which is outside the valid range "
                                 "of \\[0, 3\\)"):
            s.run(loss, {labels: [0, 5]})


def test_gather_out_of_range_and_check_numerics():
    p = tf.constant([1.0, 2.0, 3.0])
    i = tf.placeholder(tf.int32, [1])
    with tf.Session() as s:
        with pytest.raises(tf.errors.InvalidArgumentError, match="indices\\[0\\] = 5 is not in"):
            s.run(tf.gather(p, i), {i: [5]})
        bad = tf.check_numerics(tf.log(tf.constant([-1.0])), "log of negative")
        with pytest.raises(tf.errors.InvalidArgumentError, match="log of negative : Tensor had "
                                                                 "NaN values"):
            s.run(bad)


def test_restore_missing_variable_is_not_found(tmp_path):
    v = tf.Variable(1.0, name="only_here")
    saver = tf.train.Saver()
    path = str(tmp_path / "model")
    with tf.Session() as s:
        s.run(v.initializer)
        saved = saver.save(s, path, global_step=1)
    tf.reset_default_graph()
    tf.Variable(2.0, name="other")
    with tf.Session() as s:
        with pytest.raises(tf.errors.NotFoundError, match="other"):
            tf.train.Saver().restore(s, saved)
        with pytest.raises(tf.errors.NotFoundError, match="Failed to find any matching files"):
            tf.train.Saver().restore(s, str(tmp_path / "nothing"))


def test_corrupt_checkpoint_is_data_loss(tmp_path):
    tf.Variable(1.0, name="v")
    f = tmp_path / "bad.safetensors"
    f.write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{bad}")
    with tf.Session() as s:
        with pytest.raises(tf.errors.DataLossError, match="bad.safetensors"):
            tf.train.Saver().restore(s, str(f))


def test_no_gradient_and_unconnected_minimize():
    x = tf.Variable(3.0)
    y = tf.floordiv(x, 2.0)
    with pytest.raises(ValueError, match="No gradient"):
        tf.train.GradientDescentOptimizer(0.1).minimize(y)
    tf.reset_default_graph()
    tf.Variable(1.0)
    c = tf.constant(2.0) * 3
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        tf.train.GradientDescentOptimizer(0.1).minimize(c)


def test_out_of_memory_is_resource_exhausted():
    n = tf.placeholder(tf.int32, [2])
    big = tf.fill(n, 1.0)
    with tf.Session() as s:
        with pytest.raises(tf.errors.ResourceExhaustedError):
            s.run(tf.reduce_sum(big), {n: [2 ** 30, 2 ** 30]})


def test_graph_errors_raise_value_and_type_errors_at_construction():
    a = tf.constant(np.zeros((25, 2), np.float32), name="X")
    w = tf.constant(np.zeros((3, 1), np.float32), name="W")
    with tf.name_scope("Middle_section"):
        with pytest.raises(ValueError) as e:
            tf.matmul(a, w)
    assert str(e.value) == ("Dimensions must be equal, but are 2 and 3 for "
                            "'Middle_section/MatMul' (op: 'MatMul') with input shapes: "
                            "[25,2], [3,1].")
    with pytest.raises(TypeError):
        tf.add(tf.constant(1), tf.constant(1.0))
    with pytest.raises(ValueError, match="Tensor conversion requested dtype int32 for Tensor "
                                         "with dtype float32"):
        tf.convert_to_tensor(tf.constant(1.0), dtype=tf.int32)
    # the graph stays usable after an error, as in TF1
    ok = tf.constant(2.0) * 2
    with tf.Session() as s:
        assert s.run(ok) == 4.0


def test_softmax_cross_entropy_needs_named_arguments():
    with pytest.raises(ValueError, match="Only call `softmax_cross_entropy_with_logits` with "
                                         "named arguments"):
        tf.nn.softmax_cross_entropy_with_logits(tf.constant([[1.0]]), tf.constant([[1.0]]))
