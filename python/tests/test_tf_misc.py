"""tf.app / tf.flags, tf.Print, placeholder_with_default, image summaries, gfile,
losses, graph import."""
import subprocess
import sys
import os

import numpy as np
import pytest

import nabla as tf
from conftest import build_dir


def test_app_run_parses_flags_and_passes_the_rest(tmp_path):
    prog = tmp_path / "prog.py"
    prog.write_text(
        "import nabla as tf\n"
        "flags = tf.app.flags\n"
        "flags.DEFINE_integer('steps', 3, 'how many')\n"
        "flags.DEFINE_string('name', 'x', 'a name')\n"
        "flags.DEFINE_boolean('fast', False, 'speed')\n"
        "flags.DEFINE_float('lr', 0.5, 'rate')\n"
        "FLAGS = flags.FLAGS\n"
        "def main(argv):\n"
        "    print(FLAGS.steps, FLAGS.name, FLAGS.fast, FLAGS.lr, argv[1:])\n"
        "    return 3\n"
        "if __name__ == '__main__':\n"
        "    tf.app.run()\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(build_dir(), "python"))
    p = subprocess.run([sys.executable, str(prog), "--steps=7", "--name", "abc", "--fast",
                        "--lr=0.25", "rest"], capture_output=True, text=True, env=env)
    assert p.returncode == 3, p.stderr
    assert p.stdout.split("\n")[0] == "7 abc True 0.25 ['rest']"
    p = subprocess.run([sys.executable, str(prog), "--nofast"], capture_output=True, text=True,
                       env=env)
    assert p.stdout.split("\n")[0] == "3 x False 0.5 []"


def test_print_logs_and_passes_its_input(capfd):
    x = tf.constant([1.0, 2.0])
    y = tf.Print(x, [x, tf.reduce_sum(x)], message="vals: ")
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(y * 2), [2.0, 4.0])
    err = capfd.readouterr().err
    assert "vals: [1 2][3]" in err


def test_placeholder_with_default():
    p = tf.placeholder_with_default(tf.constant([1.0, 2.0]), [2])
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(p + 1), [2.0, 3.0])
        np.testing.assert_array_equal(s.run(p + 1, {p: [5.0, 6.0]}), [6.0, 7.0])


def test_image_summary_holds_png_images():
    imgs = np.zeros((3, 4, 5, 1), np.float32)
    imgs[1, 0, 0, 0] = 1.0
    t = tf.summary.image("input", tf.constant(imgs), 2)
    assert t.op.type == "ImageSummary"
    with tf.Session() as s:
        data = s.run(t)
    assert isinstance(data, bytes)
    assert data.count(b"\x89PNG") == 2          # max_outputs images
    assert b"input/image/0" in data and b"input/image/1" in data


def test_losses_and_collections():
    lab = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    logits = np.array([[1.0, 3.0], [0.5, -0.5]], np.float32)
    mse = tf.losses.mean_squared_error(lab, logits)
    ce = tf.losses.softmax_cross_entropy(lab, logits)
    sce = tf.losses.sparse_softmax_cross_entropy([1, 0], logits)
    assert tf.losses.get_losses() == [mse, ce, sce]
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    with tf.Session() as s:
        assert s.run(mse) == pytest.approx(((logits - lab) ** 2).mean())
        want = -np.log(p[[0, 1], [1, 0]]).mean()
        assert s.run(ce) == pytest.approx(want, rel=1e-5)
        assert s.run(sce) == pytest.approx(want, rel=1e-5)
        assert s.run(tf.losses.get_total_loss()) == pytest.approx(
            ((logits - lab) ** 2).mean() + 2 * want, rel=1e-5)


def test_import_graph_def_round_trip():
    a = tf.placeholder(tf.float32, [2], name="a")
    b = tf.multiply(a, 3.0, name="b")
    gd = tf.get_default_graph().as_graph_def()
    g2 = tf.Graph()
    with g2.as_default():
        tf.import_graph_def(gd, name="imp")
        a2 = g2.get_tensor_by_name("imp/a:0")
        b2 = g2.get_tensor_by_name("imp/b:0")
        with tf.Session() as s:
            np.testing.assert_array_equal(s.run(b2, {a2: [1.0, 2.0]}), [3.0, 6.0])


def test_gfile(tmp_path):
    d = str(tmp_path / "a" / "b")
    tf.gfile.MakeDirs(d)
    assert tf.gfile.Exists(d) and tf.gfile.IsDirectory(d)
    with tf.gfile.GFile(os.path.join(d, "f.txt"), "w") as f:
        f.write("hi")
    assert tf.gfile.ListDirectory(d) == ["f.txt"]
    tf.gfile.DeleteRecursively(str(tmp_path / "a"))
    assert not tf.gfile.Exists(d)


def test_contrib_layers_subset_and_regularization_losses():
    x = tf.constant(np.ones((2, 3), np.float32))
    w = tf.get_variable("w", [3, 2], initializer=tf.contrib.layers.xavier_initializer(),
                        regularizer=tf.contrib.layers.l2_regularizer(0.1))
    y = tf.contrib.layers.fully_connected(x, 4)
    assert y.op.name == "fully_connected/Relu"
    assert [v.name for v in tf.global_variables()] == ["w:0", "fully_connected/weights:0",
                                                       "fully_connected/biases:0"]
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        wv, kv, yv, reg = s.run([w, "fully_connected/weights:0", y,
                                 tf.losses.get_regularization_loss()])
    assert reg == pytest.approx(0.1 * (wv ** 2).sum() / 2, rel=1e-6)
    np.testing.assert_allclose(yv, np.maximum(np.ones((2, 3)) @ kv, 0), rtol=1e-6)
    assert np.abs(wv).max() <= np.sqrt(6 / 5)


def test_cond_of_pure_branches_and_its_limits():
    x = tf.placeholder(tf.float32, [])
    w = tf.Variable(3.0)
    y = tf.cond(x > 0, lambda: w * x, lambda: (w - x) * 2.0)
    (gw,) = tf.gradients(y, [w])
    with tf.Session() as s:
        s.run(w.initializer)
        assert s.run(y, {x: 2.0}) == 6.0 and s.run(gw, {x: 2.0}) == 2.0
        assert s.run(y, {x: -1.0}) == 8.0 and s.run(gw, {x: -1.0}) == 2.0
    with pytest.raises(NotImplementedError, match="branches must be free of side effects"):
        tf.cond(x > 0, lambda: w.assign(1.0), lambda: w.assign(2.0))
    with pytest.raises(NotImplementedError, match="nabla has no tf.while_loop"):
        tf.while_loop(lambda i: i < 3, lambda i: i + 1, [0])
