"""Names and scopes: TF1's unique names, name_scope / variable_scope rules,
get_variable reuse, lookups and collections."""
import numpy as np
import pytest

import nabla as tf


def test_default_names_are_made_unique_as_tf1():
    a = tf.constant(1.0)
    b = tf.constant(2.0)
    assert (a.name, b.name) == ("Const:0", "Const_1:0")
    s1, s2 = a + b, a + b
    assert (s1.op.name, s2.op.name) == ("add", "add_1")
    assert s1.op.type == "Add"
    # function forms use TF1's capitalised op names; names in use compare without
    # case, as in TF1 ("add" and "add_1" exist, so tf.add's "Add" becomes "Add_2")
    assert tf.add(a, b).op.name == "Add_2"
    assert tf.multiply(a, b).op.name == "Mul"
    assert (a * b).op.name == "mul_1"
    assert tf.matmul([[1.0]], [[2.0]]).op.name == "MatMul"


def test_a_converted_python_operand_lives_in_the_op_scope():
    x = tf.placeholder(tf.float32, [2])
    y = x + 1
    assert [i.name for i in y.op.inputs] == ["Placeholder:0", "add/y:0"]
    z = 1 - x
    assert [i.name for i in z.op.inputs] == ["sub/x:0", "Placeholder:0"]


def test_name_scope_reentry_and_absolute_scopes():
    with tf.name_scope("scope") as s:
        assert s == "scope/"
        c = tf.constant(1, name="c")
    with tf.name_scope("scope") as s2:
        assert s2 == "scope_1/"
        d = tf.constant(1, name="c")
    with tf.name_scope(s):   # "scope/" re-enters exactly
        e = tf.constant(1, name="c")
    with tf.name_scope("outer"):
        with tf.name_scope("inner"):
            f = tf.constant(1)
        with tf.name_scope(None):
            g = tf.constant(1)
    assert (c.name, d.name, e.name) == ("scope/c:0", "scope_1/c:0", "scope/c_1:0")
    assert f.name == "outer/inner/Const:0"
    assert g.name == "Const:0"


def test_hw2_graph_names():
    graph = tf.Graph()
    with graph.as_default():
        with tf.name_scope("Input_placeholder"):
            a = tf.placeholder(tf.float32, None, name="a")
        with tf.name_scope("Middle_section"):
            b = tf.reduce_prod(a, name="prod_b")
            c = tf.reduce_mean(a)
            d = tf.reduce_sum(a, name="sum_a")
            e = tf.add(b, c, name="add_d")
        with tf.name_scope("Final_node"):
            f = tf.multiply(e, d, name="final_multiply_node")
    names = [t.name for t in (a, b, c, d, e, f)]
    assert names == ["Input_placeholder/a:0", "Middle_section/prod_b:0", "Middle_section/Mean:0",
                     "Middle_section/sum_a:0", "Middle_section/add_d:0",
                     "Final_node/final_multiply_node:0"]
    assert a.get_shape().ndims is None
    assert str(a) == 'Tensor("Input_placeholder/a:0", shape=<unknown>, dtype=float32)'
    xs = np.array([1.0, 2.0, 3.0])
    with tf.Session(graph=graph) as sess:
        got = sess.run(f, {a: xs})
    want = (np.prod(xs) + np.mean(xs)) * np.sum(xs)
    assert got == pytest.approx(want, rel=1e-6)


def test_variable_names_and_collections():
    w = tf.Variable(tf.zeros([2, 1]), name="weights")
    b = tf.Variable(0., name="bias", trainable=False)
    assert w.name == "weights:0" and w.op.name == "weights" and w.op.type == "VariableV2"
    assert w.initializer.name == "weights/Assign"
    assert w.value().name == "weights/read:0"
    assert repr(w) == "<tf.Variable 'weights:0' shape=(2, 1) dtype=float32_ref>"
    assert [v.name for v in tf.global_variables()] == ["weights:0", "bias:0"]
    assert [v.name for v in tf.trainable_variables()] == ["weights:0"]
    assert tf.global_variables()[0] is w
    assert b.initial_value.name == "bias/initial_value:0"
    tf.add_to_collection("mine", w)
    assert tf.get_collection("mine") == [w]
    assert tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope="wei") == [w]


def test_variable_scope_and_get_variable_reuse():
    with tf.variable_scope("layer"):
        w = tf.get_variable("w", [3, 2], initializer=tf.zeros_initializer())
        assert w.name == "layer/w:0"
        assert tf.constant(1).name == "layer/Const:0"
    with pytest.raises(ValueError, match="Variable layer/w already exists, disallowed"):
        with tf.variable_scope("layer"):
            tf.get_variable("w", [3, 2])
    with tf.variable_scope("layer", reuse=True):
        assert tf.get_variable("w") is w
        with pytest.raises(ValueError, match="Variable layer/v does not exist"):
            tf.get_variable("v", [1])
    with tf.variable_scope("layer") as scope:
        scope.reuse_variables()
        assert tf.get_variable("w", [3, 2]) is w
        with pytest.raises(ValueError, match="Trying to share variable layer/w, but specified "
                                             "shape \\(4, 2\\)"):
            tf.get_variable("w", [4, 2])
    with tf.variable_scope("auto", reuse=tf.AUTO_REUSE):
        a1 = tf.get_variable("a", [1])
    with tf.variable_scope("auto", reuse=tf.AUTO_REUSE):
        a2 = tf.get_variable("a", [1])
    assert a1 is a2
    with pytest.raises(ValueError, match="must be fully defined"):
        tf.get_variable("nos", [None, 2])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(w), np.zeros((3, 2), np.float32))


def test_get_variable_initializer_scope_and_values():
    init = tf.constant_initializer(2.5)
    with tf.variable_scope("s", initializer=init):
        v = tf.get_variable("v", [2])
    ops = [o.name for o in tf.get_default_graph().get_operations()]
    assert "s/v" in ops and any(n.startswith("s/v/Initializer/") for n in ops)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(v), [2.5, 2.5])


def test_lookups_by_name():
    g = tf.get_default_graph()
    a = tf.constant(3.0, name="a")
    assert g.get_tensor_by_name("a:0") == a
    assert g.get_operation_by_name("a") == a.op
    with pytest.raises(KeyError, match="The name 'b:0' refers to a Tensor which does not exist"):
        g.get_tensor_by_name("b:0")
    with pytest.raises(KeyError, match="exists but only has 1 outputs"):
        g.get_tensor_by_name("a:1")
    with pytest.raises(KeyError, match="The name 'nope' refers to an Operation not in the graph"):
        g.get_operation_by_name("nope")
    with pytest.raises(ValueError, match="looks like an \\(invalid\\) Operation name"):
        g.get_tensor_by_name("a")
    assert [o.name for o in g.get_operations()] == ["a"]
    gd = g.as_graph_def()
    assert gd.ByteSize() > 0 and b"Const" in gd.SerializeToString()


def test_graphs_and_default_graph_stack():
    g0 = tf.get_default_graph()
    g1 = tf.Graph()
    with g1.as_default():
        assert tf.get_default_graph() is g1
        c = tf.constant(1)
        assert c.graph is g1
        with pytest.raises(AssertionError, match="Do not use tf.reset_default_graph"):
            tf.reset_default_graph()
    assert tf.get_default_graph() is g0
    tf.reset_default_graph()
    assert tf.get_default_graph() is not g0


def test_control_dependencies():
    v = tf.Variable(1.0)
    inc = tf.assign_add(v, 1.0)
    with tf.control_dependencies([inc]):
        out = tf.identity(v)
        assert out.op.control_inputs[0].name == inc.op.name
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(out) == 2.0
        assert sess.run(out) == 3.0


def test_set_random_seed_repeats():
    def draw():
        tf.reset_default_graph()
        tf.set_random_seed(42)
        r = tf.random_normal([5])
        with tf.Session() as s:
            return s.run(r)
    np.testing.assert_array_equal(draw(), draw())
    tf.reset_default_graph()
    r1 = tf.random_uniform([1000], seed=3)
    with tf.Session() as s:
        x = s.run(r1)
    assert 0 <= x.min() and x.max() < 1 and abs(x.mean() - 0.5) < 0.05


def test_compat_v1_is_the_same_namespace():
    import nabla.compat.v1 as tf1
    assert tf1 is tf
    assert tf1.Session is tf.Session
    assert tf.__version__.startswith("1.") and "nabla" in tf.__version__


def test_layer_default_names_are_unique_across_libnabla_and_python_layers():
    x = tf.zeros([2, 3])
    tf.layers.dense(x, 2)                                              # libnabla's layer
    tf.layers.dense(x, 2, kernel_initializer=tf.zeros_initializer())   # built from get_variable
    with tf.variable_scope(None, default_name="dense"):
        v = tf.get_variable("v", [1])
    assert [w.name for w in tf.trainable_variables()] == [
        "dense/kernel:0", "dense/bias:0", "dense_1/kernel:0", "dense_1/bias:0", "dense_2/v:0"]
    assert v.name == "dense_2/v:0"


def test_an_invalid_scope_name_raises_and_leaves_no_scope_behind():
    with pytest.raises(ValueError, match="'bad name!' is not a valid scope name"):
        with tf.name_scope("bad name!"):
            pass
    with pytest.raises(ValueError, match="'bad name!' is not a valid scope name"):
        tf.Variable(1.0, name="bad name!")
    assert tf.get_default_graph().name_scope_current() == ""
    assert tf.constant(1).name == "Const:0"
