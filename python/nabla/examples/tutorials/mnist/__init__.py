"""TF1's tensorflow.examples.tutorials.mnist, reading local IDX files only."""
from . import input_data  # noqa: F401
