"""TF1's MNIST reader (tensorflow.examples.tutorials.mnist.input_data) over local
IDX files: read_data_sets(dir, one_hot=False) -> .train / .validation / .test.

Nothing is downloaded: the directory must hold the four files
train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz
and t10k-labels-idx1-ubyte.gz (gzip or not). Debian's Fashion-MNIST
(apt install dataset-fashion-mnist) puts them in /usr/share/datasets/fashion-mnist/.
The files are decoded by libnabla's IDX reader.
"""
import collections
import os

import numpy as np

from ...._nabla import idx_load as _idx_load
from .... import dtypes as _dtypes

DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"

Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"


def _find(train_dir, name):
    for cand in (name, name[:-3]):
        p = os.path.join(train_dir, cand)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(
        "%s: no such file (nor %s). nabla's read_data_sets reads local IDX files and never "
        "downloads: pass a directory holding %s, %s, %s and %s, e.g. Debian's Fashion-MNIST "
        "(apt install dataset-fashion-mnist) in %s/"
        % (os.path.join(train_dir, name), name[:-3], TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES,
           TEST_LABELS, DEBIAN_FASHION_MNIST))


def extract_images(path):
    """[N, rows, cols, 1] uint8 from an IDX3 file."""
    a = _idx_load(path)
    if a.ndim != 3:
        raise ValueError("%s: expected 3-D IDX images, got shape %s" % (path, a.shape))
    return a.reshape(a.shape + (1,))


def dense_to_one_hot(labels_dense, num_classes):
    n = labels_dense.shape[0]
    out = np.zeros((n, num_classes))
    out[np.arange(n), labels_dense.ravel().astype(np.int64)] = 1
    return out


def extract_labels(path, one_hot=False, num_classes=10):
    a = _idx_load(path)
    if a.ndim != 1:
        raise ValueError("%s: expected 1-D IDX labels, got shape %s" % (path, a.shape))
    a = a.astype(np.uint8)
    return dense_to_one_hot(a, num_classes) if one_hot else a


class DataSet(object):
    """One split: images (float32 in [0, 1], flattened when reshape), labels."""

    def __init__(self, images, labels, fake_data=False, one_hot=False, dtype=_dtypes.float32,
                 reshape=True, seed=None):
        dtype = _dtypes.as_dtype(dtype)
        if dtype not in (_dtypes.uint8, _dtypes.float32):
            raise TypeError("Invalid image dtype %r, expected uint8 or float32" % dtype)
        if seed is not None:
            np.random.seed(seed)
        if images.shape[0] != labels.shape[0]:
            raise ValueError("images.shape: %s labels.shape: %s" % (images.shape, labels.shape))
        self._num_examples = images.shape[0]
        if reshape:
            images = images.reshape(images.shape[0], images.shape[1] * images.shape[2])
        if dtype == _dtypes.float32:
            images = images.astype(np.float32)
            images = np.multiply(images, 1.0 / 255.0)
        self._images = images
        self._labels = labels
        self._epochs_completed = 0
        self._index_in_epoch = 0

    @property
    def images(self):
        return self._images

    @property
    def labels(self):
        return self._labels

    @property
    def num_examples(self):
        return self._num_examples

    @property
    def epochs_completed(self):
        return self._epochs_completed

    def next_batch(self, batch_size, fake_data=False, shuffle=True):
        """The next batch_size examples; reshuffled at each epoch, as TF1's reader."""
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            perm0 = np.arange(self._num_examples)
            np.random.shuffle(perm0)
            self._images = self.images[perm0]
            self._labels = self.labels[perm0]
        if start + batch_size > self._num_examples:
            self._epochs_completed += 1
            rest = self._num_examples - start
            images_rest = self._images[start:self._num_examples]
            labels_rest = self._labels[start:self._num_examples]
            if shuffle:
                perm = np.arange(self._num_examples)
                np.random.shuffle(perm)
                self._images = self.images[perm]
                self._labels = self.labels[perm]
            start = 0
            self._index_in_epoch = batch_size - rest
            end = self._index_in_epoch
            return (np.concatenate((images_rest, self._images[start:end]), axis=0),
                    np.concatenate((labels_rest, self._labels[start:end]), axis=0))
        self._index_in_epoch += batch_size
        end = self._index_in_epoch
        return self._images[start:end], self._labels[start:end]


def read_data_sets(train_dir, fake_data=False, one_hot=False, dtype=_dtypes.float32,
                   reshape=True, validation_size=5000, seed=None, source_url=None):
    """Reads the four IDX files of train_dir; the first validation_size training
    images become .validation (TF1's 5,000 by default)."""
    if fake_data:
        raise NotImplementedError("nabla's read_data_sets has no fake_data")
    paths = [_find(train_dir, n) for n in (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES,
                                           TEST_LABELS)]
    train_images = extract_images(paths[0])
    train_labels = extract_labels(paths[1], one_hot=one_hot)
    test_images = extract_images(paths[2])
    test_labels = extract_labels(paths[3], one_hot=one_hot)
    if not 0 <= validation_size <= len(train_images):
        raise ValueError("Validation size should be between 0 and %d. Received: %d."
                         % (len(train_images), validation_size))
    validation_images = train_images[:validation_size]
    validation_labels = train_labels[:validation_size]
    train_images = train_images[validation_size:]
    train_labels = train_labels[validation_size:]
    options = dict(dtype=dtype, reshape=reshape, seed=seed)
    train = DataSet(train_images, train_labels, **options)
    validation = DataSet(validation_images, validation_labels, **options)
    test = DataSet(test_images, test_labels, **options)
    return Datasets(train=train, validation=validation, test=test)


def load_mnist(train_dir="MNIST-data"):
    return read_data_sets(train_dir)
