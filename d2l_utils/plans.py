"""Training plans: the book's settings for each network, and a smaller plan a CPU can finish.

A chapter picks its plan with :func:`choose_plan` (the book's on a GPU, the CPU plan otherwise) and passes the
plan's fields to ``load_data_fashion_mnist`` and ``train_ch6``. Keeping every chapter's settings here gives one
place to read them, and lets tests check what a plan costs (memory, time) without opening a notebook.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

FASHION_MNIST_TRAIN_SIZE = 60_000


@dataclass(frozen=True)
class TrainingPlan:
    """What one training run uses: epochs, batch, learning rate, image size and how much of the data."""

    name: str
    num_epochs: int
    batch_size: int
    lr: float
    resize: int | None = None
    max_train_examples: int | None = None
    max_test_examples: int | None = None

    @property
    def training_examples(self) -> int:
        """Training examples the whole run processes (all epochs)."""
        return (self.max_train_examples or FASHION_MNIST_TRAIN_SIZE) * self.num_epochs

    def minutes_at(self, examples_per_sec: float) -> float:
        """Minutes of training at a measured speed (evaluation not included)."""
        if examples_per_sec <= 0:
            raise ValueError(f"examples_per_sec must be positive, got {examples_per_sec}; measure it first")
        return self.training_examples / examples_per_sec / 60

    def data_kwargs(self) -> dict:
        """Keyword arguments for ``load_data_fashion_mnist`` (besides the batch size)."""
        return dict(
            resize=self.resize, max_train_examples=self.max_train_examples, max_test_examples=self.max_test_examples
        )


def _cpu_quick(book: TrainingPlan, **changes) -> TrainingPlan:
    return replace(book, name="cpu-quick", **changes)


# The book's settings: the ``train_ch6`` calls of d2l 0.17 (English) / d2l-zh 2.0 (Chinese), PyTorch tab.
_BOOK = {
    "lenet": TrainingPlan("book", num_epochs=10, batch_size=256, lr=0.9),
    "alexnet": TrainingPlan("book", num_epochs=10, batch_size=128, lr=0.01, resize=224),
    "vgg": TrainingPlan("book", num_epochs=10, batch_size=128, lr=0.05, resize=224),  # the narrowed VGG (ratio 4)
    "nin": TrainingPlan("book", num_epochs=10, batch_size=128, lr=0.1, resize=224),
    "googlenet": TrainingPlan("book", num_epochs=10, batch_size=128, lr=0.1, resize=96),
    "bn-lenet": TrainingPlan("book", num_epochs=10, batch_size=256, lr=1.0),
    "resnet18": TrainingPlan("book", num_epochs=10, batch_size=256, lr=0.05, resize=96),
    "densenet": TrainingPlan("book", num_epochs=10, batch_size=256, lr=0.1, resize=96),
}

# A CPU plan for the networks that need hours per epoch there: the first 10,000 training images (20,000 for
# GoogLeNet), 2 epochs, the first 2,000 test images, the book's other settings.
_SUBSET = dict(num_epochs=2, max_train_examples=10_000, max_test_examples=2_000)

TRAINING_PLANS: dict[str, dict[str, TrainingPlan]] = {
    "lenet": {"book": _BOOK["lenet"], "cpu-quick": _cpu_quick(_BOOK["lenet"])},
    # Batch 32, not the book's 128, keeps AlexNet's CPU run within Binder's 2 GB (tests/test_memory.py).
    "alexnet": {"book": _BOOK["alexnet"], "cpu-quick": _cpu_quick(_BOOK["alexnet"], **_SUBSET, batch_size=32)},
    "vgg": {"book": _BOOK["vgg"], "cpu-quick": _cpu_quick(_BOOK["vgg"], **_SUBSET)},
    "nin": {"book": _BOOK["nin"], "cpu-quick": _cpu_quick(_BOOK["nin"], **_SUBSET)},
    "googlenet": {
        "book": _BOOK["googlenet"],
        "cpu-quick": _cpu_quick(_BOOK["googlenet"], **_SUBSET | {"max_train_examples": 20_000}),
    },
    "bn-lenet": {"book": _BOOK["bn-lenet"], "cpu-quick": _cpu_quick(_BOOK["bn-lenet"], num_epochs=3)},
    "resnet18": {"book": _BOOK["resnet18"], "cpu-quick": _cpu_quick(_BOOK["resnet18"], **_SUBSET)},
    "densenet": {"book": _BOOK["densenet"], "cpu-quick": _cpu_quick(_BOOK["densenet"], **_SUBSET)},
}
# Measured on 2 idle CPU cores (AMD EPYC, torch 2.15, 2026-11-23, du.measure_training_speed): AlexNet 48 and
# the narrowed VGG 40, NiN 51 examples/s at 224x224, GoogLeNet 130, ResNet-18 120, DenseNet 110 at 96x96, so each
# CPU plan trains in 3-8 minutes there (several times that when other jobs share the cores).


def choose_plan(network: str, device: torch.device | str, name: str | None = None) -> TrainingPlan:
    """The plan for ``network``: ``name`` if given, else the book's on a GPU and ``"cpu-quick"`` on a CPU."""
    if network not in TRAINING_PLANS:
        raise KeyError(f"no training plan for {network!r}; known networks: {', '.join(sorted(TRAINING_PLANS))}")
    plans = TRAINING_PLANS[network]
    if name is None:
        name = "cpu-quick" if torch.device(device).type == "cpu" else "book"
    if name not in plans:
        raise KeyError(f"{network!r} has no plan {name!r}; choose one of: {', '.join(plans)}")
    return plans[name]


# Designing CNNs (d2l 1.0 §8.8). The book trains no sample of networks, only its RegNetX32 (lr 0.05, batch 128,
# 96×96, 10 epochs, the settings of its §8.8 Trainer call). "anynet-sample" is how the course trains every net of a
# design-space sample: real MNIST at its own 28×28, the first 10,000 training images for one epoch, the first
# 5,000 test images, SGD with lr 0.2 and batch 64 (the best of three settings tried on three sampled nets); its
# "book" plan is the same recipe at the book's sizes (96×96, all 60,000 images, 10 epochs) for a GPU.
TRAINING_PLANS["anynet-sample"] = {
    "cpu-quick": TrainingPlan(
        "cpu-quick", num_epochs=1, batch_size=64, lr=0.2, max_train_examples=10_000, max_test_examples=5_000
    ),
    "book": TrainingPlan("book", num_epochs=10, batch_size=64, lr=0.2, resize=96),
}
TRAINING_PLANS["regnetx32"] = {
    "book": TrainingPlan("book", num_epochs=10, batch_size=128, lr=0.05, resize=96),
    "cpu-quick": TrainingPlan(
        "cpu-quick",
        num_epochs=1,
        batch_size=128,
        lr=0.05,
        resize=96,
        max_train_examples=10_000,
        max_test_examples=2_000,
    ),
}
