"""Datasets shipped inside the package, loaded once and handed out as tensors."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
import torch


@dataclass(frozen=True)
class Mnist:
    """MNIST-5k on one device: images flattened to 784 floats in [0, 1], labels as int64.

    `test_images_u8` keeps the raw (1000, 28, 28) uint8 test digits (numpy) for pictures.
    """

    train_x: torch.Tensor  # (4000, 784) float32
    train_y: torch.Tensor  # (4000,) int64
    test_x: torch.Tensor  # (1000, 784) float32
    test_y: torch.Tensor  # (1000,) int64
    test_images_u8: np.ndarray  # (1000, 28, 28) uint8


@functools.lru_cache(maxsize=1)
def mnist_arrays() -> dict[str, np.ndarray]:
    """The raw arrays of `nntui/data/mnist_5k.npz`, read from the package once per process."""
    with resources.files("nntui.data").joinpath("mnist_5k.npz").open("rb") as f:
        with np.load(f) as npz:
            arrays = {name: npz[name] for name in npz.files}
    for a in arrays.values():
        a.setflags(write=False)  # shared by every caller: nobody may change it
    return arrays


@functools.lru_cache(maxsize=4)
def load_mnist(device: str = "cpu") -> Mnist:
    """MNIST-5k as float tensors on `device` (cached per device; treat them as read-only)."""
    a = mnist_arrays()

    def images(x: np.ndarray) -> torch.Tensor:
        flat = torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255.0)
        return flat.to(device)

    def labels(y: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(y.astype(np.int64)).to(device)

    return Mnist(
        train_x=images(a["train_images"]),
        train_y=labels(a["train_labels"]),
        test_x=images(a["test_images"]),
        test_y=labels(a["test_labels"]),
        test_images_u8=a["test_images"],
    )


class ShuffledEpochs:
    """Mini-batches taken in order from `train_x`/`train_y`, reshuffled at every epoch's start.

    For an experiment that sets `batch`, `steps_per_epoch` and `shuffler` (a torch.Generator).
    """

    def _load_mnist(self) -> None:
        """The shipped 4,000 / 1,000 split, on the experiment's device."""
        data = load_mnist(str(self.device))
        self.train_x, self.train_y = data.train_x, data.train_y
        self.test_x, self.test_y = data.test_x, data.test_y

    def _shuffle(self) -> torch.Tensor:
        """A new order of the training set for this epoch; the batches are views into it."""
        order = torch.randperm(self.train_x.shape[0], generator=self.shuffler).to(self.device)
        self.epoch_x = self.train_x[order]
        self.epoch_y = self.train_y[order]
        return order

    def _next_batch(self) -> slice:
        """The slice of the epoch's tensors for this step (shuffling first at an epoch's start)."""
        i = self.step_count % self.steps_per_epoch
        if i == 0:
            self._shuffle()
        return slice(i * self.batch, (i + 1) * self.batch)

    def _epoch(self) -> float:
        return self.step_count / self.steps_per_epoch
