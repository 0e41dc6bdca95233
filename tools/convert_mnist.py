"""Convert ../shared/data/mnist_5k.csv.gz into the shipped nntui/data/mnist_5k.npz.

The CSV is sorted by class, so the fixed 4,000/1,000 split is a seeded,
stratified shuffle: 400 training and 100 test images of every digit.
Run from the repository root: python tools/convert_mnist.py
"""
import gzip
import sys
from pathlib import Path

import numpy as np

SOURCE = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/mnist_5k.csv.gz")
TARGET = Path("nntui/data/mnist_5k.npz")

with gzip.open(SOURCE, "rt") as f:
    table = np.loadtxt(f, delimiter=",", dtype=np.uint8)
pixels, labels = table[:, :784].reshape(-1, 28, 28), table[:, 784]

rng = np.random.default_rng(20261122)
train, test = [], []
for digit in range(10):
    rows = rng.permutation(np.flatnonzero(labels == digit))
    train.extend(rows[:400])
    test.extend(rows[400:500])
train, test = rng.permutation(train), rng.permutation(test)
np.savez_compressed(
    TARGET,
    train_images=pixels[train], train_labels=labels[train],
    test_images=pixels[test], test_labels=labels[test],
)
print(f"wrote {TARGET}: {len(train)} train, {len(test)} test, {TARGET.stat().st_size} bytes")
