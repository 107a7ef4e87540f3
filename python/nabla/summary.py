"""tf.summary: summary ops (sess.run gives serialized Summary bytes, as in TF1) and
FileWriter (libnabla's event-file writer)."""
import sys

from . import _nabla as _C
from .framework import (Tensor, get_default_graph, _graph_for, GraphKeys, Graph)
from .math_ops import _tensor

SUMMARY_TYPES = frozenset(("ScalarSummary", "HistogramSummary", "MergeSummary",
                           "ImageSummary"))


def _mark(g, t, collections):
    if t is None:
        return None
    g._summary_outputs.add(t)
    if collections is None:
        collections = [GraphKeys.SUMMARIES]
    for c in collections:
        g.add_to_collection(c, t)
    return t


def _warn_renamed(name, t):
    last = t.op.name.rsplit("/", 1)[-1]
    ok = all(ch.isalnum() and ch.isascii() or ch in "_.-/" for ch in name)
    if not ok or name.startswith("/"):
        sys.stderr.write("INFO:nabla:Summary name %s is illegal; using %s instead.\n"
                         % (name, last))


def scalar(name, tensor, collections=None, family=None):
    """tf.summary.scalar(name, tensor): a ScalarSummary op whose tag is its scoped name."""
    g = _graph_for(tensor)
    x = _tensor(tensor, g)
    if family:
        name = family + "/" + name
    t = _C.summary_scalar(g, name, x)
    _warn_renamed(name, t)
    return _mark(g, t, collections)


def histogram(name, values, collections=None, family=None):
    g = _graph_for(values)
    x = _tensor(values, g)
    if family:
        name = family + "/" + name
    t = _C.summary_histogram(g, name, x)
    _warn_renamed(name, t)
    return _mark(g, t, collections)


def image(name, tensor, max_outputs=3, collections=None, family=None):
    """tf.summary.image(name, tensor [batch, h, w, 1|3|4], max_outputs=3)."""
    g = _graph_for(tensor)
    x = _tensor(tensor, g)
    f = getattr(_C, "summary_image", None)
    if f is None:
        raise NotImplementedError("this nabla build has no ImageSummary op; write images with "
                                  "FileWriter.add_image(tag, step, array) instead")
    if family:
        name = family + "/" + name
    t = f(g, name, x, int(max_outputs))
    _warn_renamed(name, t)
    return _mark(g, t, collections)


def text(name, tensor, collections=None):
    raise NotImplementedError("nabla has no string tensors, so no text summaries")


def audio(name, tensor, sample_rate, max_outputs=3, collections=None, family=None):
    raise NotImplementedError("nabla has no audio summaries")


def merge(inputs, collections=None, name=None):
    """tf.summary.merge(inputs): one Summary holding every input's values."""
    inputs = [i for i in inputs if i is not None]
    g = _graph_for(*inputs) if inputs else get_default_graph()
    t = _C.summary_merge(g, [_tensor(i, g) for i in inputs], name)
    g._summary_outputs.add(t)
    if collections:
        for c in collections:
            g.add_to_collection(c, t)
    return t


def merge_all(key=GraphKeys.SUMMARIES, scope=None, name=None):
    """tf.summary.merge_all(): every summary op so far merged (None when there are none)."""
    g = get_default_graph()
    if key != GraphKeys.SUMMARIES or scope is not None or name is not None:
        coll = g.get_collection(key, scope)
        if not coll:
            return None
        return merge(coll, name=name)
    t = _C.summary_merge_all(g)
    if t is not None:
        g._summary_outputs.add(t)
    return t


class FileWriter(object):
    """tf.summary.FileWriter(logdir, graph=None): an event file for TensorBoard."""

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None,
                 filename_suffix=None, session=None):
        if session is not None and graph is None:
            graph = session.graph
        if graph is not None and not isinstance(graph, Graph):
            raise TypeError("graph must be a tf.Graph, not %s" % type(graph).__name__)
        self._logdir = str(logdir)
        self._w = _C.SummaryWriter(self._logdir, graph)
        self._closed = False

    def get_logdir(self):
        return self._logdir

    def add_summary(self, summary, global_step=None):
        """Adds a serialized Summary (what sess.run returned for a summary op)."""
        self._w.add_summary(summary if isinstance(summary, (bytes, bytearray)) else
                            bytes(summary), 0 if global_step is None else int(global_step))

    def add_graph(self, graph, global_step=None, graph_def=None):
        if graph is None and graph_def is not None:
            raise NotImplementedError("nabla's add_graph takes a tf.Graph")
        self._w.add_graph(graph)

    def add_session_log(self, session_log, global_step=None):
        pass

    def add_run_metadata(self, run_metadata, tag, global_step=None):
        pass

    # nabla extensions: values without a graph op
    def add_scalar(self, tag, value, global_step=0):
        self._w.add_scalar(tag, int(global_step), float(value))

    def add_histogram(self, tag, values, global_step=0):
        import numpy as np
        self._w.add_histogram(tag, int(global_step), np.asarray(values, dtype=np.float64))

    def add_image(self, tag, image, global_step=0):
        self._w.add_image(tag, int(global_step), image)

    def flush(self):
        self._w.flush()

    def close(self):
        self._w.close()
        self._closed = True

    def reopen(self):
        if self._closed:
            self._w = _C.SummaryWriter(self._logdir, None)
            self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


FileWriterCache = None


class Summary(object):
    """Placeholder for TF's Summary protobuf class (nabla passes serialized bytes)."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("nabla has no Summary protobuf objects; use summary ops or "
                                  "FileWriter.add_scalar")
