"""tf.summary values decoded back (with a small independent protobuf reader), event
files, and tf.train.Saver's save/restore round trip with TF1's index file."""
import glob
import json
import os
import struct

import numpy as np
import pytest

import nabla as tf


# --- a minimal protobuf wire-format reader (test-side, independent of nabla)
def _varint(b, i):
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def fields(b):
    """[(field number, wire type, value)] of one message."""
    out, i = [], 0
    while i < len(b):
        key, i = _varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        elif wt == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % wt)
        out.append((f, wt, v))
    return out


def summary_values(data):
    """{tag: decoded value} of a serialized Summary: floats for simple_value,
    dicts for histograms."""
    res = {}
    for f, _, v in fields(data):
        assert f == 1
        tag, val = None, None
        for g, _, w in fields(v):
            if g == 1:
                tag = w.decode()
            elif g == 2:
                val = struct.unpack("<f", w)[0]
            elif g == 5:
                h = {}
                for k, wt, x in fields(w):
                    name = {1: "min", 2: "max", 3: "num", 4: "sum", 5: "sum_squares"}.get(k)
                    if name:
                        h[name] = struct.unpack("<d", x)[0]
                val = h
        res[tag] = val
    return res


def records(path):
    data = open(path, "rb").read()
    i, out = 0, []
    while i < len(data):
        (n,) = struct.unpack("<Q", data[i:i + 8])
        out.append(data[i + 12:i + 12 + n])
        i += 12 + n + 4
    return out


def test_scalar_and_histogram_summaries_decode_back():
    x = tf.placeholder(tf.float32, [4])
    with tf.name_scope("train"):
        s1 = tf.summary.scalar("loss", tf.reduce_mean(x))
    s2 = tf.summary.histogram("values", x)
    merged = tf.summary.merge_all()
    assert s1.op.name == "train/loss" and s1.op.type == "ScalarSummary"
    assert merged.op.type == "MergeSummary"
    data = np.array([1.0, 2.0, 3.0, 6.0], np.float32)
    with tf.Session() as s:
        one, both = s.run([s1, merged], {x: data})
    assert isinstance(one, bytes) and isinstance(both, bytes)
    assert summary_values(one) == {"train/loss": 3.0}
    vals = summary_values(both)
    assert vals["train/loss"] == 3.0
    h = vals["values"]
    assert (h["min"], h["max"], h["num"], h["sum"], h["sum_squares"]) == (1, 6, 4, 12, 50)


def test_illegal_summary_names_are_renamed_with_tf1s_message(capfd):
    t = tf.summary.scalar("my loss (train)", tf.constant(1.0))
    assert t.op.name == "my_loss__train_"
    err = capfd.readouterr().err
    assert "Summary name my loss (train) is illegal; using my_loss__train_ instead." in err
    with tf.Session() as s:
        assert summary_values(s.run(t)) == {"my_loss__train_": 1.0}


def test_merge_and_merge_all_without_summaries():
    assert tf.summary.merge_all() is None
    a = tf.summary.scalar("a", tf.constant(1.0))
    b = tf.summary.scalar("b", tf.constant(2.0))
    m = tf.summary.merge([a, b])
    with tf.Session() as s:
        assert summary_values(s.run(m)) == {"a": 1.0, "b": 2.0}


def test_file_writer_writes_graph_and_summaries(tmp_path):
    with tf.name_scope("Input"):
        x = tf.placeholder(tf.float32, None, name="a")
    loss = tf.summary.scalar("loss", tf.reduce_sum(x))
    with tf.Session() as s:
        w = tf.summary.FileWriter(str(tmp_path), s.graph)
        for step in range(3):
            w.add_summary(s.run(loss, {x: [float(step), 1.0]}), step)
        w.flush()
        w.close()
    files = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    assert len(files) == 1
    evs = [fields(r) for r in records(files[0])]
    assert any(f == 3 and v == b"brain.Event:2" for ev in evs for f, _, v in ev)
    graph_defs = [v for ev in evs for f, _, v in ev if f == 4]
    assert graph_defs and b"Input/a" in graph_defs[0]
    got = []
    for ev in evs:
        d = {f: v for f, _, v in ev}
        if 5 in d:
            got.append((d.get(2, 0), summary_values(d[5])["loss"]))
    assert got == [(0, 1.0), (1, 2.0), (2, 3.0)]


def _safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dt = {"F32": np.float32, "I64": np.int64, "F64": np.float64, "I32": np.int32}[info["dtype"]]
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dt).reshape(info["shape"])
    return out


def test_saver_round_trip_index_and_max_to_keep(tmp_path):
    w = tf.Variable(np.array([[1.0, 2.0]], np.float32), name="weights")
    b = tf.Variable(0.5, name="bias")
    step = tf.train.get_or_create_global_step()
    inc = tf.assign_add(step, 1)
    saver = tf.train.Saver(max_to_keep=2)
    prefix = str(tmp_path / "model")
    paths = []
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        for i in range(3):
            s.run(w.assign(w + 1.0))
            s.run(inc)
            paths.append(saver.save(s, prefix, global_step=step))
    assert [os.path.basename(p) for p in paths] == ["model-1.safetensors", "model-2.safetensors",
                                                    "model-3.safetensors"]
    assert not os.path.exists(paths[0]) and os.path.exists(paths[1])
    index = open(str(tmp_path / "checkpoint")).read()
    assert index == ('model_checkpoint_path: "model-3.safetensors"\n'
                     'all_model_checkpoint_paths: "model-2.safetensors"\n'
                     'all_model_checkpoint_paths: "model-3.safetensors"\n')
    assert tf.train.latest_checkpoint(str(tmp_path)) == paths[2]
    st = tf.train.get_checkpoint_state(str(tmp_path))
    assert st.model_checkpoint_path == paths[2]
    assert st.all_model_checkpoint_paths == paths[1:]
    content = _safetensors(paths[2])
    np.testing.assert_array_equal(content["weights"], [[4.0, 5.0]])
    assert content["bias"] == 0.5 and content["global_step"] == 3

    # restore into a fresh graph without running an initializer
    tf.reset_default_graph()
    w2 = tf.Variable(np.zeros((1, 2), np.float32), name="weights")
    b2 = tf.Variable(0.0, name="bias")
    tf.train.get_or_create_global_step()
    with tf.Session() as s:
        tf.train.Saver().restore(s, tf.train.latest_checkpoint(str(tmp_path)))
        np.testing.assert_array_equal(s.run(w2), [[4.0, 5.0]])
        assert s.run(b2) == 0.5
        assert s.run(tf.train.get_global_step()) == 3


def test_saver_without_step_and_missing_index(tmp_path):
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    assert tf.train.get_checkpoint_state(str(tmp_path)) is None
    v = tf.Variable([3.0, 4.0], name="v")
    with tf.Session() as s:
        s.run(v.initializer)
        p = tf.train.Saver().save(s, str(tmp_path / "model.ckpt"))
        s.run(v.assign([0.0, 0.0]))
        tf.train.Saver().restore(s, str(tmp_path / "model.ckpt"))
        np.testing.assert_array_equal(s.run(v), [3.0, 4.0])
    assert p == str(tmp_path / "model.ckpt.safetensors")
    assert tf.train.latest_checkpoint(str(tmp_path)) == p


def test_saver_with_a_var_list_restores_only_those(tmp_path):
    a = tf.Variable([1.0, 2.0], name="a")
    b = tf.Variable(3.0, name="b")
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        path = tf.train.Saver().save(s, str(tmp_path / "m"), global_step=0)
    tf.reset_default_graph()
    a2 = tf.Variable([0.0, 0.0], name="a")
    c2 = tf.Variable(9.0, name="c")       # not in the file
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        tf.train.Saver([a2]).restore(s, path)
        np.testing.assert_array_equal(s.run(a2), [1.0, 2.0])
        assert s.run(c2) == 9.0
        with pytest.raises(tf.errors.NotFoundError, match="Key c not found in checkpoint"):
            tf.train.Saver([c2]).restore(s, path)
        with pytest.raises(tf.errors.NotFoundError, match="'c'"):
            tf.train.Saver().restore(s, path)
