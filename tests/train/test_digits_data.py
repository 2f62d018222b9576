"""The digits the course ships are scikit-learn's ``load_digits()``, bit for bit.

The hashes were taken from ``sklearn.datasets.load_digits()`` (scikit-learn 1.9.1) when the file
moved into ``lrcourse/data``: the arrays as float64 / int64 bytes, so any change to the file or to
how it is read changes a stored notebook output and fails here first.
"""

import hashlib

import torch

import lrcourse
from lrcourse.train.tasks import digits_file, load_digits_tensors

FILE_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
DATA_SHA256 = "20def7f70a702f0af9732fbba4375e147a7d54fe70d8c45569b8e7c1c7010c10"
TARGET_SHA256 = "a3c91c262eddcf7ba8f0e37507c30284493c9b20412ffe4af30d536401f7ba21"


def test_the_shipped_file_is_scikit_learns():
    assert hashlib.sha256(digits_file().read_bytes()).hexdigest() == FILE_SHA256


def test_the_loaded_arrays_equal_load_digits():
    images, labels = load_digits_tensors()
    assert images.shape == (1797, 64) and images.dtype == torch.float64
    assert labels.shape == (1797,) and labels.dtype == torch.int64
    assert hashlib.sha256(images.numpy().tobytes()).hexdigest() == DATA_SHA256
    assert hashlib.sha256(labels.numpy().tobytes()).hexdigest() == TARGET_SHA256


def test_the_digits_task_splits_as_before():
    task = lrcourse.load_task("digits")
    assert (task.train_size, len(task.val_targets)) == (1438, 359)
    assert set(task.train_inputs.unique().tolist()) <= {k / 16 for k in range(17)}
