"""Shared fixtures for the TF1-namespace tests (run with PYTHONPATH=<build>/python)."""
import os

import pytest

import nabla as tf

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def fresh_default_graph():
    """Each test starts on an empty default graph with no default session."""
    tf.reset_default_graph()
    yield
    tf.reset_default_graph()


def build_dir():
    """The build directory whose python/ holds the imported package."""
    import nabla
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(nabla.__file__))))
