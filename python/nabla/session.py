"""tf.Session / tf.InteractiveSession over libnabla's nb_session.

Python maps TF1's fetch structures (nested lists, tuples, namedtuples, dicts,
name strings) to one flat list for `_nabla.Session.run` and rebuilds the
structure from the results; feeds are converted and checked by the extension
and libnabla.
"""
import contextlib
import threading

from . import _nabla as _C
from .framework import Tensor, Operation, Graph, get_default_graph

_Fetchable = (Tensor, Operation)


class _SessionLocal(threading.local):
    def __init__(self):
        self.stack = []


_session_local = _SessionLocal()
_interactive = [None]


def get_default_session():
    """The innermost session of `with sess.as_default()` (or an InteractiveSession)."""
    stack = _session_local.stack
    if stack:
        return stack[-1]
    s = _interactive[0]
    if s is not None and not s._closed and s._graph_is_current():
        return s
    return None


def _reset_default_session():
    _interactive[0] = None


def _eval_using_default_session(tensor, feed_dict, graph, session=None):
    if session is None:
        session = get_default_session()
        if session is None:
            raise ValueError("Cannot evaluate tensor using `eval()`: No default session is "
                             "registered. Use `with sess.as_default()` or pass an explicit "
                             "session to `eval(session=sess)`")
        if session.graph is not graph:
            raise ValueError("Cannot use the default session to evaluate tensor: the "
                             "tensor's graph is different from the session's graph. Pass an "
                             "explicit session to `eval(session=sess)`.")
    elif session.graph is not graph:
        raise ValueError("Cannot use the given session to evaluate tensor: the tensor's graph "
                         "is different from the session's graph.")
    return session.run(tensor, feed_dict)


def _run_using_default_session(operation, feed_dict, graph, session=None):
    if session is None:
        session = get_default_session()
        if session is None:
            raise ValueError("Cannot execute operation using `run()`: No default session is "
                             "registered. Use `with sess.as_default():` or pass an explicit "
                             "session to `run(session=sess)`")
        if session.graph is not graph:
            raise ValueError("Cannot use the default session to execute operation: the "
                             "operation's graph is different from the session's graph. Pass "
                             "an explicit session to run(session=sess).")
    elif session.graph is not graph:
        raise ValueError("Cannot use the given session to execute operation: the operation's "
                         "graph is different from the session's graph.")
    session.run(operation, feed_dict)


def _fetch_error(fetch):
    return TypeError("Fetch argument %r has invalid type %r, must be a string or Tensor. "
                     "(Can not convert a %s into a Tensor or Operation.)"
                     % (fetch, type(fetch), type(fetch).__name__))


class _Flattener(object):
    """Flattens a fetch structure into `items`, returning a function that rebuilds
    the structure from the flat results."""

    __slots__ = ("graph", "items")

    def __init__(self, graph):
        self.graph = graph
        self.items = []

    def add(self, fetch):
        if isinstance(fetch, _Fetchable):
            i = len(self.items)
            self.items.append(fetch)
            if isinstance(fetch, Tensor) and fetch in self.graph._summary_outputs:
                return lambda r: bytes(r[i])
            return lambda r: r[i]
        if fetch is None:
            raise TypeError("Fetch argument None has invalid type <class 'NoneType'>")
        if isinstance(fetch, str):
            return self.add(self.graph.as_graph_element(fetch))
        conv = getattr(fetch, "_as_tensor", None)
        if conv is not None:
            return self.add(conv())
        if isinstance(fetch, list):
            subs = [self.add(f) for f in fetch]
            return lambda r: [s(r) for s in subs]
        if isinstance(fetch, tuple):
            subs = [self.add(f) for f in fetch]
            if hasattr(fetch, "_fields"):
                cls = type(fetch)
                return lambda r: cls(*[s(r) for s in subs])
            return lambda r: tuple(s(r) for s in subs)
        if isinstance(fetch, dict):
            cls = type(fetch)
            keys = list(fetch.keys())
            subs = [self.add(fetch[k]) for k in keys]
            if cls is dict:
                return lambda r: {k: s(r) for k, s in zip(keys, subs)}
            return lambda r: cls((k, s(r)) for k, s in zip(keys, subs))
        raise _fetch_error(fetch)


class BaseSession(object):
    def __init__(self, target="", graph=None, config=None):
        if graph is None:
            graph = get_default_graph()
        elif not isinstance(graph, Graph):
            raise TypeError("graph must be a tf.Graph, but got %s" % type(graph))
        self._graph = graph
        self._target = target
        self._config = config
        self._c = _C.Session(graph)
        self._closed = False
        self._default_ctx = []

    @property
    def graph(self):
        return self._graph

    @property
    def graph_def(self):
        return self._graph.as_graph_def()

    @property
    def sess_str(self):
        return self._target

    def _graph_is_current(self):
        return True

    def list_devices(self):
        return []

    def close(self):
        if not self._closed:
            self._closed = True
            self._c.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def as_default(self):
        return _session_default_ctx(self)

    # -- feeds
    def _feeds(self, feed_dict):
        feeds = []
        if not feed_dict:
            return feeds
        graph = self._graph
        for k, v in feed_dict.items():
            if isinstance(k, Tensor):
                t = k
            elif isinstance(k, str):
                t = graph.as_graph_element(k, allow_tensor=True, allow_operation=False)
            elif hasattr(k, "_as_tensor"):
                t = k._as_tensor()
            elif isinstance(k, tuple):
                raise TypeError("nabla has no SparseTensor feeds: %r" % (k,))
            else:
                raise TypeError("Cannot interpret feed_dict key as Tensor: Can not convert a "
                                "%s into a Tensor." % type(k).__name__)
            if isinstance(v, (Tensor, Operation)) or hasattr(v, "_as_tensor"):
                raise TypeError("The value of a feed cannot be a tf.Tensor object. Acceptable "
                                "feed values include Python scalars, strings, lists, numpy "
                                "ndarrays, or TensorHandles. For reference, the tensor object "
                                "was %s which was passed to the feed with key %s."
                                % (v, t))
            feeds.append((t, v))
        return feeds

    # -- run
    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs the graph: `fetches` is a Tensor, Operation, name, Variable or any
        nesting of lists, tuples, namedtuples and dicts of them; returns the same
        structure holding numpy values (None for operations)."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        feeds = self._feeds(feed_dict) if feed_dict else ()
        if isinstance(fetches, _Fetchable):
            r = self._c.run([fetches], feeds)[0]
            if fetches in self._graph._summary_outputs:
                return bytes(r)
            return r
        if type(fetches) is list and not self._graph._summary_outputs:
            for f in fetches:
                if not isinstance(f, _Fetchable):
                    break
            else:
                return self._c.run(fetches, feeds)
        fl = _Flattener(self._graph)
        build = fl.add(fetches)
        results = self._c.run(fl.items, feeds) if fl.items else []
        return build(results)

    def partial_run_setup(self, fetches, feeds=None):
        raise NotImplementedError("nabla has no partial_run")

    def partial_run(self, handle, fetches, feed_dict=None):
        raise NotImplementedError("nabla has no partial_run")

    def make_callable(self, fetches, feed_list=None, accept_options=False):
        """A function running `fetches` with positional feeds for `feed_list`."""
        fl = _Flattener(self._graph)
        build = fl.add(fetches)
        items = fl.items
        feed_ts = []
        for k in (feed_list or []):
            if isinstance(k, str):
                k = self._graph.as_graph_element(k, allow_operation=False)
            elif hasattr(k, "_as_tensor"):
                k = k._as_tensor()
            feed_ts.append(k)
        cc = self._c.make_callable(items, feed_ts)

        def call(*args, **kwargs):
            return build(cc(*args))
        return call

    def _set_variable(self, var, value):
        import numpy as np
        self._c.set_variable(var._read, np.asarray(value, dtype=var.dtype.as_numpy_dtype))

    def __enter__(self):
        self._enter_graph = self._graph.as_default()
        self._enter_graph.__enter__()
        self._enter_sess = self.as_default()
        self._enter_sess.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self._enter_sess.__exit__(exc_type, exc, tb)
            self._enter_graph.__exit__(exc_type, exc, tb)
        finally:
            self.close()
        return False


@contextlib.contextmanager
def _session_default_ctx(sess):
    _session_local.stack.append(sess)
    try:
        yield sess
    finally:
        _session_local.stack.pop()


class Session(BaseSession):
    """tf.Session(target='', graph=None, config=None)."""

    def __init__(self, target="", graph=None, config=None):
        BaseSession.__init__(self, target, graph, config)

    @staticmethod
    def reset(target, containers=None, config=None):
        pass


class InteractiveSession(BaseSession):
    """tf.InteractiveSession: installs itself as the default session, so that
    `t.eval()` and `op.run()` work without a `with` block."""

    def __init__(self, target="", graph=None, config=None):
        BaseSession.__init__(self, target, graph, config)
        _interactive[0] = self
        # TF1: the session's graph becomes the default graph until close()
        from .framework import _graph_local
        _graph_local.stack.append(self._graph)
        self._pushed_graph = True

    def _graph_is_current(self):
        return True

    def close(self):
        BaseSession.close(self)
        if _interactive[0] is self:
            _interactive[0] = None
        if getattr(self, "_pushed_graph", False):
            self._pushed_graph = False
            from .framework import _graph_local
            stack = _graph_local.stack
            for i in range(len(stack) - 1, -1, -1):
                if stack[i] is self._graph:
                    del stack[i]
                    break


class ConfigProto(object):
    """Accepted and ignored (nabla sizes its thread pool itself; see set_num_threads)."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)
        self.gpu_options = GPUOptions()

    def CopyFrom(self, other):
        self.__dict__.update(other.__dict__)


class GPUOptions(object):
    def __init__(self, **kwargs):
        self.allow_growth = False
        self.per_process_gpu_memory_fraction = 1.0
        self.__dict__.update(kwargs)


class RunOptions(object):
    FULL_TRACE = 3
    NO_TRACE = 0

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


class RunMetadata(object):
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


class GraphOptions(object):
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


class OptimizerOptions(object):
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)
