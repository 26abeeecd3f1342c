"""Training plans: the book's settings for each network, and a smaller plan a CPU can finish.

A chapter picks its plan with :func:`choose_plan` (the book's on a GPU, the CPU plan otherwise) and passes the
plan's fields to ``load_data_fashion_mnist`` and ``train_ch6``. Keeping every chapter's settings here gives one
place to read them, and lets tests check what a plan costs (memory, time) without opening a notebook.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from . import config
from .devices import resolve_device

FASHION_MNIST_TRAIN_SIZE = 60_000
# What each CPU plan reached on real MNIST, written by benchmarks/real_mnist_plans.py.
REAL_MNIST_RECORD = Path(__file__).resolve().parents[1] / "benchmarks" / "real_mnist_plans.json"


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
        """Keyword arguments for ``load_data_fashion_mnist`` (besides the batch size); in smoke mode an upsampled
        plan keeps 128 training images: ``train_ch6`` needs no five batches, which cost the notebooks' run ~60 s more
        CPU time (one thread, 2-core CI-like machine, 2026-12-04: VGG 33 s, ResNet-18 12 s, DenseNet 8 s)."""
        limit = config.SMOKE_LIMITS.resized_examples if config.smoke_mode() and self.resize else None
        return dict(resize=self.resize, max_train_examples=limit or self.max_train_examples,
                    max_test_examples=self.max_test_examples)  # fmt: skip


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

# A CPU plan for the networks that need hours per epoch there: the first 10,000 training images, 2 epochs, the
# first 2,000 test images, the book's other settings. NiN's and GoogLeNet's plans (below) change more.
_SUBSET = dict(num_epochs=2, max_train_examples=10_000, max_test_examples=2_000)
_D2L_1_0_STEP = _SUBSET | dict(lr=0.01, batch_size=128)  # d2l 1.0's settings for ResNet-18 and DenseNet

TRAINING_PLANS: dict[str, dict[str, TrainingPlan]] = {
    "lenet": {"book": _BOOK["lenet"], "cpu-quick": _cpu_quick(_BOOK["lenet"])},
    # Batch 32, not the book's 128, keeps AlexNet's CPU run within Binder's 2 GB (tests/test_memory.py).
    "alexnet": {"book": _BOOK["alexnet"], "cpu-quick": _cpu_quick(_BOOK["alexnet"], **_SUBSET, batch_size=32)},
    "vgg": {"book": _BOOK["vgg"], "cpu-quick": _cpu_quick(_BOOK["vgg"], **_SUBSET)},
    # NiN needs many steps at lr 0.1 to leave its starting plateau: through its twelve ReLU layers the
    # Xavier-initialised net starts with logits near zero (0.08 ± 0.13 on 8 real digits, loss 2.34, about ln 10).
    # On real MNIST (one run each, seed 0, 2026-12-01) the book's settings on 10,000 images x 2 at 224x224 (158
    # steps) stayed at loss 2.303, test accuracy 0.102; so did d2l 1.0's lr 0.05 with batches of 32 (626 steps)
    # and batch 128 at 96x96 (still 2.302 after 400 steps). Batches of 32 at 96x96 (a fifth of the cost per image)
    # left it in the second epoch on 30,000 images (1,876 steps: 0.102, then 0.299); this plan, on all 60,000
    # images (3,750 steps), reached 0.797, then 0.863 (17 minutes, one thread).
    "nin": {
        "book": _BOOK["nin"],
        "cpu-quick": _cpu_quick(_BOOK["nin"], num_epochs=2, max_test_examples=2_000, batch_size=32, resize=96),
    },
    # GoogLeNet, like NiN, starts with logits near zero (0.011 ± 0.033 on 8 real digits at initialisation) and
    # needs many steps at lr 0.1 to leave that plateau. On real MNIST (one run each, seed 0, 2026-12-01) the book's
    # batch of 128 on 20,000 images x 2 (314 steps) stayed there (training loss 2.301 to 2.298, test accuracy
    # 0.117, then 0.103); d2l 1.0's lr 0.01 with batches of 32 at 64x64 was still at loss 2.30 after 1,125 steps.
    # Batches of 32 at lr 0.1 and 64x64 left it after about 400 steps (test accuracy 0.354 at step 625), then the
    # loss jumped back (2.66 at step 825, 2.303 at 850). Batches of 64 (half the gradient noise) at 64x64 (less
    # than half the cost per image of 96x96) left it after about 500 steps and kept learning: loss 0.35 and test
    # accuracy 0.897 at step 1,000, 0.941 at 1,250. This plan is that run's settings: 40,000 images x 2 (1,250 steps).
    "googlenet": {
        "book": _BOOK["googlenet"],
        "cpu-quick": _cpu_quick(
            _BOOK["googlenet"], **_SUBSET | dict(max_train_examples=40_000, batch_size=64, resize=64)
        ),
    },
    # d2l 1.0's lr 0.1 and batch 128 instead of lr 1.0 and 256: on real MNIST (one run each, seed 0, 2026-12-01)
    # the lr-1.0 plan's test accuracy went 0.907, 0.958, 0.769, and 0.972 once batch norm's running statistics were
    # recomputed over the training set (the running averages lag weights that move fast); this plan 0.941, 0.973,
    # 0.961 (0.977 recomputed).
    "bn-lenet": {
        "book": _BOOK["bn-lenet"],
        "cpu-quick": _cpu_quick(_BOOK["bn-lenet"], num_epochs=3, lr=0.1, batch_size=128),
    },
    # d2l 1.0's lr 0.01 and batch 128, for the reason of BN-LeNet's: with the book's lr 0.05 (0.1 for DenseNet) and
    # batch 256 both learnt their training digits on real MNIST (train acc 0.978 and 0.969) but tested at 0.764
    # and 0.757 with batch norm's running statistics. ResNet-18 at lr 0.01, batch 128 (one run, seed 0, 2026-12-01)
    # tested 0.887 then 0.877 (0.948 with the statistics recomputed over the training images).
    "resnet18": {"book": _BOOK["resnet18"], "cpu-quick": _cpu_quick(_BOOK["resnet18"], **_D2L_1_0_STEP)},
    "densenet": {"book": _BOOK["densenet"], "cpu-quick": _cpu_quick(_BOOK["densenet"], **_D2L_1_0_STEP)},
}
# Measured on 2 idle CPU cores (AMD EPYC, torch 2.15, 2026-11-23, du.measure_training_speed): AlexNet 48 and
# the narrowed VGG 40, NiN 51 examples/s at 224x224, GoogLeNet 130, ResNet-18 120, DenseNet 110 at 96x96, so each
# CPU plan at those sizes trains in 3-8 minutes there (several times that when other jobs share the cores). NiN's
# plan, at 96x96, ran at 116 examples/s on one thread of a 2-core Intel Xeon (120,000 examples: 17 minutes).
# Every CPU plan ran once on real MNIST (benchmarks/real_mnist_plans.json, which du.real_mnist_result reads); the
# plans that failed there with the book's settings changed where a change was measured to help (BN-LeNet, ResNet-18
# and DenseNet: batch norm's running statistics lagged the weights; NiN and GoogLeNet: too few steps to leave
# their plateau, and for GoogLeNet gradient noise that threw it back once it had left), each with its reason above.


def choose_plan(network: str, device: torch.device | str | None, name: str | None = None) -> TrainingPlan:
    """The plan for ``network``: ``name`` if given, else the book's on a GPU and ``"cpu-quick"`` on a CPU.

    ``device`` is read as ``train_ch6`` reads it (:func:`~d2l_utils.devices.resolve_device`): any case
    (``"CPU"``), ``None`` for the best device here, and a device this machine lacks raises
    :class:`~d2l_utils.devices.DeviceNotAvailableError` naming the ones it has.
    """
    if network not in TRAINING_PLANS:
        raise KeyError(f"no training plan for {network!r}; known networks: {', '.join(sorted(TRAINING_PLANS))}")
    plans = TRAINING_PLANS[network]
    device = resolve_device(device)
    if name is None:
        name = "cpu-quick" if device.type == "cpu" else "book"
    if name not in plans:
        raise KeyError(f"{network!r} has no plan {name!r}; choose one of: {', '.join(plans)}")
    return plans[name]


# The book's own runs. Each line is one executed run of a chapter's notebook, as stored in the book's build
# repositories: the final "test acc" it printed after its 10 epochs, the edition and commit that hold it, the best
# per-epoch test accuracy and its epoch (read from the stored training plot; "-" where the build stored none),
# and the variant of the network if it differs from the course's (see :class:`BookRun`). The settings are the
# book's plans above, in every run. Found by reading every commit of d2l-ai/d2l-pytorch-colab (English, "en-",
# 2020-06 to 2022-07; 1.0 builds store no training output) and d2l-ai/d2l-zh-pytorch-colab (Chinese, "zh-",
# 2021-03 to 2023-08); a run is listed once, at the first commit that holds it. "en-build-0.13.2": the June-2020
# builds that pin d2l 0.13.2 before the first tagged release.
_BOOK_RUNS_TABLE = """
lenet            0.826 en-build-0.13.2        52556102557ca789928c86ec54ea636586bc177a 2020-06-02     -  - -
lenet            0.795 en-build-0.13.2        cd9e9f5b50bb9a7a992d21671a544a2e18871934 2020-06-03     -  - -
lenet            0.805 en-0.14.0              c56d5b70496dc2c12b87bc70b04ccc9b0c281bc8 2020-07-02 0.818  9 -
lenet            0.806 en-0.14.1              1e02b7f76a85702ad384859e314e8af810bd04e6 2020-07-18 0.806 10 -
lenet            0.802 en-0.14.1              fdad282d77200996b28bc989cf291ef8874401c8 2020-07-19 0.803  8 -
lenet            0.813 en-0.14.2              0dbe2693f3d048cf67241e15c2b0b088caf2c740 2020-07-29 0.813 10 -
lenet            0.816 en-0.14.2              e90900a54cb548f3a120f0add53e634c0b270a83 2020-07-30 0.816 10 -
lenet            0.817 en-0.14.3              3dec00e60119ebd305f634313f82f9faf556d3cf 2020-08-09 0.817 10 -
lenet            0.816 en-0.14.3              b4d89d3221788de218d6223c1a4e8bc18799af30 2020-08-11 0.816 10 -
lenet            0.805 en-0.14.4              35acae0b2e951fec23981c2433884adf9071bb84 2020-09-18 0.809  9 -
lenet            0.803 en-0.15.0              0d5a58cb2c9753c86f25d171291c1b604283877c 2020-10-23 0.803 10 -
lenet            0.810 en-0.15.0              ae012cfb18ed9fc7fbff20eda9ac68780cf0894b 2020-10-26 0.810 10 -
lenet            0.761 en-0.15.1              dcd2a147545c74de9ab5cd9febc723e098d204ea 2020-11-06 0.816  9 -
lenet            0.820 en-0.16.0              700411c207d2af557f6dca47e4879b1f1aed14dd 2021-01-06 0.819 10 -
lenet            0.796 en-0.16.1              c8968392205a3e7d0776b00946bef3d8f5fa3548 2021-01-19 0.796 10 -
lenet            0.807 en-0.16.2              2a3e233663e99d53545fa2973561f2bbd223b365 2021-03-20 0.819  9 -
lenet            0.802 en-0.16.3              d9539f76cf016f5c334085a9cb1f98cc58502f30 2021-04-23 0.815  9 -
lenet            0.799 en-0.16.3              5976f69daafbcc2ef9eedbeb8a7d63bd02d1b550 2021-05-17 0.812  9 -
lenet            0.806 en-0.16.4              0009bbcf260842350711034307a89dbc11811c6b 2021-05-17 0.811  9 -
lenet            0.792 en-0.16.5              fe336e0fec882f9e0ddd28de980693ca90c39784 2021-06-02 0.812  8 -
lenet            0.790 en-0.16.6              4c836524ebf00ec980b050e9b5c31f27972654bc 2021-06-17 0.800  7 -
lenet            0.817 en-0.16.6              1ff02c2b5c1130ec8e6cf181698c2c5a27d40b23 2021-06-25 0.817 10 -
lenet            0.800 en-0.16.7              7c19c226dec0ac79d24040259b03204330f06f6c 2021-07-21 0.818  9 -
lenet            0.776 en-0.17.0              a188c65cd7f0f055e610e2cc19436a51aeb7a2ad 2021-07-25 0.809  8 -
lenet            0.801 en-0.17.0              c701a71e2b4573ce55c09aa5e7afa2314ddbae28 2021-11-28 0.801 10 -
lenet            0.799 en-0.17.1              57bb0dd7ed617c5ba69952b1587109adc97c6472 2021-12-08 0.810  8 -
lenet            0.786 en-0.17.1              2dd79dd290d90e5e20235baa4905a0826c9b42e5 2021-12-08 0.803  9 -
lenet            0.814 en-0.17.1              2b885297ce82df8c396bc18158cacb05f2c2d51f 2021-12-12 0.813 10 -
lenet            0.794 en-0.17.2              c934fc08cfd460c34eac86693f0be40984e2d58c 2022-01-15 0.794 10 -
lenet            0.772 en-0.17.2              135932d3bbd4c8c8471bab8b63256558b9f6e239 2022-01-17 0.786  7 -
lenet            0.806 en-0.17.4              0931e12e5ce269e91d556815b011199e29fca0ed 2022-03-13 0.806 10 -
lenet            0.800 en-0.17.4              b059165fc376e572e0a3945a14bb1e0f102eef8e 2022-03-25 0.807  8 -
lenet            0.789 en-0.17.5              6598017454f4fc7f6aebd6c76b8584e7e3743a60 2022-07-10 0.799  8 -
lenet            0.803 zh-2.0.0-alpha0        8293cb7bae173b70a52b032864796cbecedbac62 2021-03-12 0.812  9 -
lenet            0.795 zh-2.0.0-alpha1        38b7a98c92f83034c9ebc676f23ef146b704ebc7 2021-05-08 0.802  9 -
lenet            0.808 zh-2.0.0-alpha1        e1949a3bdf01b68b0ef8663b43bb91fdc846f7a1 2021-05-16 0.808 10 -
lenet            0.808 zh-2.0.0-alpha1        9c0510df29c0f3db04f6b1535a02121a8922cddf 2021-06-17 0.808 10 -
lenet            0.824 zh-2.0.0-alpha1        9d17d8ff962b1c168f016792a821b87251b9aeb1 2021-06-25 0.824 10 -
lenet            0.806 zh-2.0.0-alpha1        7aa57815ac5f7bfcce609a37ad92311d52500bc2 2021-06-30 0.806 10 -
lenet            0.817 zh-2.0.0-alpha1        7a30024e1880f5f12f227e0e2a366356ac1e3159 2021-07-25 0.817 10 -
lenet            0.781 zh-2.0.0-alpha2        a0fa7bf18ef018b21916ff75dc0559781b9559c4 2021-08-04 0.781 10 -
lenet            0.814 zh-2.0.0-alpha2        9dff6f354c8ed968a31e4700c5f15d57ca93b02b 2021-08-26 0.814 10 -
lenet            0.818 zh-2.0.0-alpha2        7772d10c986af48332deb9bbb7121daa05f298ae 2021-12-05 0.818 10 -
lenet            0.803 zh-2.0.0-alpha2        1c3d5df9484d189e1ae72d509abe51225b1be74a 2021-12-05 0.811  9 -
lenet            0.804 zh-2.0.0-beta0         7c981387b90cbb565501037df64ad1237cab51d4 2021-12-09 0.814  9 -
lenet            0.814 zh-2.0.0-beta0         747ef3ad08f7464755347acd7833f5fd9ffce968 2022-01-15 0.814 10 -
lenet            0.781 zh-2.0.0-beta0         a2ff8aa5b66085dbb6dc7917f6c625e2b985181e 2022-01-17 0.805  9 -
lenet            0.812 zh-2.0.0-beta0         d82cf94b2bf0e269091dce84792adb504955d98b 2022-03-15 0.812 10 -
lenet            0.812 zh-2.0.0-beta0         14dca1a4bfe97ae62904d034914cfbbf53ae2057 2022-04-29 0.812 10 -
lenet            0.806 zh-2.0.0-beta1         292d94212a9cb4098f6c6044f1ac2b2a30d0e613 2022-07-31 0.806 10 -
lenet            0.800 zh-2.0.0               bb1d8130bcb56ebb6ac1ef71b57cfc5be1ed867e 2022-12-07 0.812  9 -
lenet            0.821 zh-2.0.0               dc2a33e673d2ca8b8ccdafb1f4a52c9f9062ae55 2022-12-07 0.821 10 -
lenet            0.821 zh-2.0.0               78c29b24651ecb082d17cdfabeed7de4f9de6a3f 2023-08-14 0.821 10 -
lenet            0.779 zh-2.0.0               7037e28adea93ef52664b4526804a57d9e0ff8ed 2023-08-18 0.806  9 -
alexnet          0.856 en-build-0.13.2        52556102557ca789928c86ec54ea636586bc177a 2020-06-02     -  - -
alexnet          0.856 en-build-0.13.2        cd9e9f5b50bb9a7a992d21671a544a2e18871934 2020-06-03     -  - -
alexnet          0.859 en-build-0.13.2        5f134a00fccda99401c387a7721367df079b1185 2020-06-13     -  - -
alexnet          0.864 en-build-0.13.2        b5db28881538e128cb2b6827345b7de9806bf9da 2020-06-13     -  - -
alexnet          0.861 en-build-0.13.2        48a618acc6d2c2c9b0933a3c069bcbaeacdd52bc 2020-06-14     -  - -
alexnet          0.847 en-build-0.13.2        28dae0bb4a5fd9bb013bb1a04d5628bfc6459bd7 2020-06-15     -  - -
alexnet          0.856 en-build-0.13.2        bee9b3d2f72cea1ea93959807d95b7f4c3f51ae5 2020-06-15     -  - -
alexnet          0.866 en-0.14.0              c56d5b70496dc2c12b87bc70b04ccc9b0c281bc8 2020-07-02 0.866 10 -
alexnet          0.879 en-0.14.1              1e02b7f76a85702ad384859e314e8af810bd04e6 2020-07-18 0.879  9 -
alexnet          0.877 en-0.14.1              fdad282d77200996b28bc989cf291ef8874401c8 2020-07-19 0.877 10 -
alexnet          0.879 en-0.14.2              0dbe2693f3d048cf67241e15c2b0b088caf2c740 2020-07-29 0.879 10 -
alexnet          0.884 en-0.14.2              e90900a54cb548f3a120f0add53e634c0b270a83 2020-07-30 0.884 10 -
alexnet          0.881 en-0.14.3              3dec00e60119ebd305f634313f82f9faf556d3cf 2020-08-09 0.881 10 -
alexnet          0.882 en-0.14.3              b4d89d3221788de218d6223c1a4e8bc18799af30 2020-08-11 0.882 10 -
alexnet          0.871 en-0.14.4              35acae0b2e951fec23981c2433884adf9071bb84 2020-09-18 0.877  8 -
alexnet          0.882 en-0.15.0              0d5a58cb2c9753c86f25d171291c1b604283877c 2020-10-23 0.882 10 -
alexnet          0.880 en-0.15.0              ae012cfb18ed9fc7fbff20eda9ac68780cf0894b 2020-10-26 0.880 10 -
alexnet          0.880 en-0.15.1              dcd2a147545c74de9ab5cd9febc723e098d204ea 2020-11-06 0.880 10 -
alexnet          0.881 en-0.16.0              700411c207d2af557f6dca47e4879b1f1aed14dd 2021-01-06 0.881 10 -
alexnet          0.876 en-0.16.1              c8968392205a3e7d0776b00946bef3d8f5fa3548 2021-01-19 0.876 10 -
alexnet          0.885 en-0.16.2              2a3e233663e99d53545fa2973561f2bbd223b365 2021-03-20 0.885 10 -
alexnet          0.880 en-0.16.3              d9539f76cf016f5c334085a9cb1f98cc58502f30 2021-04-23 0.880 10 -
alexnet          0.882 en-0.16.3              5976f69daafbcc2ef9eedbeb8a7d63bd02d1b550 2021-05-17 0.882  9 -
alexnet          0.880 en-0.16.4              0009bbcf260842350711034307a89dbc11811c6b 2021-05-17 0.880 10 -
alexnet          0.877 en-0.16.5              fe336e0fec882f9e0ddd28de980693ca90c39784 2021-06-02 0.877  9 -
alexnet          0.879 en-0.16.6              4c836524ebf00ec980b050e9b5c31f27972654bc 2021-06-17 0.879 10 -
alexnet          0.879 en-0.16.6              1ff02c2b5c1130ec8e6cf181698c2c5a27d40b23 2021-06-25 0.881  9 -
alexnet          0.878 en-0.16.7              7c19c226dec0ac79d24040259b03204330f06f6c 2021-07-21 0.878 10 -
alexnet          0.879 en-0.17.0              a188c65cd7f0f055e610e2cc19436a51aeb7a2ad 2021-07-25 0.879 10 -
alexnet          0.883 en-0.17.0              c701a71e2b4573ce55c09aa5e7afa2314ddbae28 2021-11-28 0.883 10 -
alexnet          0.882 en-0.17.1              57bb0dd7ed617c5ba69952b1587109adc97c6472 2021-12-08 0.882 10 -
alexnet          0.881 en-0.17.1              2dd79dd290d90e5e20235baa4905a0826c9b42e5 2021-12-08 0.881 10 -
alexnet          0.881 en-0.17.1              2b885297ce82df8c396bc18158cacb05f2c2d51f 2021-12-12 0.881 10 -
alexnet          0.881 en-0.17.2              c934fc08cfd460c34eac86693f0be40984e2d58c 2022-01-15 0.881 10 -
alexnet          0.880 en-0.17.2              135932d3bbd4c8c8471bab8b63256558b9f6e239 2022-01-17 0.880 10 -
alexnet          0.883 en-0.17.4              0931e12e5ce269e91d556815b011199e29fca0ed 2022-03-13 0.883 10 -
alexnet          0.882 en-0.17.4              b059165fc376e572e0a3945a14bb1e0f102eef8e 2022-03-25 0.882 10 -
alexnet          0.882 en-0.17.5              6598017454f4fc7f6aebd6c76b8584e7e3743a60 2022-07-10 0.882  9 -
alexnet          0.879 zh-2.0.0-alpha0        8293cb7bae173b70a52b032864796cbecedbac62 2021-03-12 0.881  9 -
alexnet          0.879 zh-2.0.0-alpha1        38b7a98c92f83034c9ebc676f23ef146b704ebc7 2021-05-08 0.879 10 -
alexnet          0.879 zh-2.0.0-alpha1        e1949a3bdf01b68b0ef8663b43bb91fdc846f7a1 2021-05-16 0.879 10 -
alexnet          0.884 zh-2.0.0-alpha1        9c0510df29c0f3db04f6b1535a02121a8922cddf 2021-06-17 0.884 10 -
alexnet          0.882 zh-2.0.0-alpha1        9d17d8ff962b1c168f016792a821b87251b9aeb1 2021-06-25 0.882 10 -
alexnet          0.881 zh-2.0.0-alpha1        7aa57815ac5f7bfcce609a37ad92311d52500bc2 2021-06-30 0.881 10 -
alexnet          0.875 zh-2.0.0-alpha1        7a30024e1880f5f12f227e0e2a366356ac1e3159 2021-07-25 0.876  9 -
alexnet          0.882 zh-2.0.0-alpha2        a0fa7bf18ef018b21916ff75dc0559781b9559c4 2021-08-04 0.882 10 -
alexnet          0.877 zh-2.0.0-alpha2        9dff6f354c8ed968a31e4700c5f15d57ca93b02b 2021-08-26 0.877 10 -
alexnet          0.881 zh-2.0.0-alpha2        7772d10c986af48332deb9bbb7121daa05f298ae 2021-12-05 0.881 10 -
alexnet          0.879 zh-2.0.0-alpha2        1c3d5df9484d189e1ae72d509abe51225b1be74a 2021-12-05 0.881  9 -
alexnet          0.879 zh-2.0.0-beta0         7c981387b90cbb565501037df64ad1237cab51d4 2021-12-09 0.879 10 -
alexnet          0.873 zh-2.0.0-beta0         747ef3ad08f7464755347acd7833f5fd9ffce968 2022-01-15 0.875  9 -
alexnet          0.879 zh-2.0.0-beta0         a2ff8aa5b66085dbb6dc7917f6c625e2b985181e 2022-01-17 0.879 10 -
alexnet          0.882 zh-2.0.0-beta0         d82cf94b2bf0e269091dce84792adb504955d98b 2022-03-15 0.882 10 -
alexnet          0.882 zh-2.0.0-beta0         14dca1a4bfe97ae62904d034914cfbbf53ae2057 2022-04-29 0.882 10 -
alexnet          0.885 zh-2.0.0-beta1         292d94212a9cb4098f6c6044f1ac2b2a30d0e613 2022-07-31 0.885 10 -
alexnet          0.885 zh-2.0.0               bb1d8130bcb56ebb6ac1ef71b57cfc5be1ed867e 2022-12-07 0.885 10 -
alexnet          0.879 zh-2.0.0               dc2a33e673d2ca8b8ccdafb1f4a52c9f9062ae55 2022-12-07 0.881  9 -
alexnet          0.866 zh-2.0.0               78c29b24651ecb082d17cdfabeed7de4f9de6a3f 2023-08-14 0.880  9 -
alexnet          0.883 zh-2.0.0               7037e28adea93ef52664b4526804a57d9e0ff8ed 2023-08-18 0.883 10 -
vgg              0.918 en-build-0.13.2        52556102557ca789928c86ec54ea636586bc177a 2020-06-02     -  - -
vgg              0.906 en-build-0.13.2        cd9e9f5b50bb9a7a992d21671a544a2e18871934 2020-06-03     -  - -
vgg              0.911 en-0.14.0              c56d5b70496dc2c12b87bc70b04ccc9b0c281bc8 2020-07-02 0.911 10 -
vgg              0.916 en-0.14.1              1e02b7f76a85702ad384859e314e8af810bd04e6 2020-07-18 0.918  9 -
vgg              0.920 en-0.14.1              fdad282d77200996b28bc989cf291ef8874401c8 2020-07-19 0.920 10 -
vgg              0.915 en-0.14.2              0dbe2693f3d048cf67241e15c2b0b088caf2c740 2020-07-29 0.918  9 -
vgg              0.916 en-0.14.2              e90900a54cb548f3a120f0add53e634c0b270a83 2020-07-30 0.920  9 -
vgg              0.915 en-0.14.3              3dec00e60119ebd305f634313f82f9faf556d3cf 2020-08-09 0.915 10 -
vgg              0.917 en-0.14.3              b4d89d3221788de218d6223c1a4e8bc18799af30 2020-08-11 0.924  9 -
vgg              0.915 en-0.14.4              35acae0b2e951fec23981c2433884adf9071bb84 2020-09-18 0.920  9 -
vgg              0.920 en-0.15.0              0d5a58cb2c9753c86f25d171291c1b604283877c 2020-10-23 0.920 10 -
vgg              0.915 en-0.15.0              ae012cfb18ed9fc7fbff20eda9ac68780cf0894b 2020-10-26 0.920  9 -
vgg              0.920 en-0.15.1              dcd2a147545c74de9ab5cd9febc723e098d204ea 2020-11-06 0.920 10 -
vgg              0.917 en-0.16.0              700411c207d2af557f6dca47e4879b1f1aed14dd 2021-01-06 0.917 10 -
vgg              0.918 en-0.16.1              c8968392205a3e7d0776b00946bef3d8f5fa3548 2021-01-19 0.918 10 -
vgg              0.918 en-0.16.2              2a3e233663e99d53545fa2973561f2bbd223b365 2021-03-20 0.922  9 -
vgg              0.915 en-0.16.3              d9539f76cf016f5c334085a9cb1f98cc58502f30 2021-04-23 0.921  9 -
vgg              0.919 en-0.16.3              5976f69daafbcc2ef9eedbeb8a7d63bd02d1b550 2021-05-17 0.923  8 -
vgg              0.916 en-0.16.4              0009bbcf260842350711034307a89dbc11811c6b 2021-05-17 0.916 10 -
vgg              0.923 en-0.16.5              fe336e0fec882f9e0ddd28de980693ca90c39784 2021-06-02 0.923 10 -
vgg              0.919 en-0.16.6              4c836524ebf00ec980b050e9b5c31f27972654bc 2021-06-17 0.919 10 -
vgg              0.922 en-0.16.6              1ff02c2b5c1130ec8e6cf181698c2c5a27d40b23 2021-06-25 0.922 10 -
vgg              0.923 en-0.16.7              7c19c226dec0ac79d24040259b03204330f06f6c 2021-07-21 0.923 10 -
vgg              0.916 en-0.17.0              a188c65cd7f0f055e610e2cc19436a51aeb7a2ad 2021-07-25 0.921  9 -
vgg              0.921 en-0.17.0              c701a71e2b4573ce55c09aa5e7afa2314ddbae28 2021-11-28 0.921 10 -
vgg              0.918 en-0.17.1              57bb0dd7ed617c5ba69952b1587109adc97c6472 2021-12-08 0.918 10 -
vgg              0.915 en-0.17.1              2dd79dd290d90e5e20235baa4905a0826c9b42e5 2021-12-08 0.915 10 -
vgg              0.923 en-0.17.1              2b885297ce82df8c396bc18158cacb05f2c2d51f 2021-12-12 0.923 10 -
vgg              0.912 en-0.17.2              c934fc08cfd460c34eac86693f0be40984e2d58c 2022-01-15 0.923  9 -
vgg              0.924 en-0.17.2              135932d3bbd4c8c8471bab8b63256558b9f6e239 2022-01-17 0.924 10 -
vgg              0.918 en-0.17.4              0931e12e5ce269e91d556815b011199e29fca0ed 2022-03-13 0.918 10 -
vgg              0.921 en-0.17.4              b059165fc376e572e0a3945a14bb1e0f102eef8e 2022-03-25 0.921 10 -
vgg              0.922 en-0.17.5              6598017454f4fc7f6aebd6c76b8584e7e3743a60 2022-07-10 0.922 10 -
vgg              0.915 zh-2.0.0-alpha0        8293cb7bae173b70a52b032864796cbecedbac62 2021-03-12 0.919  9 -
vgg              0.920 zh-2.0.0-alpha1        38b7a98c92f83034c9ebc676f23ef146b704ebc7 2021-05-08 0.921 10 -
vgg              0.918 zh-2.0.0-alpha1        e1949a3bdf01b68b0ef8663b43bb91fdc846f7a1 2021-05-16 0.919  9 -
vgg              0.920 zh-2.0.0-alpha1        9c0510df29c0f3db04f6b1535a02121a8922cddf 2021-06-17 0.920 10 -
vgg              0.916 zh-2.0.0-alpha1        9d17d8ff962b1c168f016792a821b87251b9aeb1 2021-06-25 0.919  9 -
vgg              0.922 zh-2.0.0-alpha1        7aa57815ac5f7bfcce609a37ad92311d52500bc2 2021-06-30 0.922 10 -
vgg              0.922 zh-2.0.0-alpha1        7a30024e1880f5f12f227e0e2a366356ac1e3159 2021-07-25 0.922 10 -
vgg              0.924 zh-2.0.0-alpha2        a0fa7bf18ef018b21916ff75dc0559781b9559c4 2021-08-04 0.924 10 -
vgg              0.917 zh-2.0.0-alpha2        9dff6f354c8ed968a31e4700c5f15d57ca93b02b 2021-08-26 0.923  9 -
vgg              0.920 zh-2.0.0-alpha2        7772d10c986af48332deb9bbb7121daa05f298ae 2021-12-05 0.920 10 -
vgg              0.914 zh-2.0.0-alpha2        1c3d5df9484d189e1ae72d509abe51225b1be74a 2021-12-05 0.922  9 -
vgg              0.918 zh-2.0.0-beta0         7c981387b90cbb565501037df64ad1237cab51d4 2021-12-09 0.918  9 -
vgg              0.922 zh-2.0.0-beta0         747ef3ad08f7464755347acd7833f5fd9ffce968 2022-01-15 0.922 10 -
vgg              0.919 zh-2.0.0-beta0         a2ff8aa5b66085dbb6dc7917f6c625e2b985181e 2022-01-17 0.919 10 -
vgg              0.918 zh-2.0.0-beta0         d82cf94b2bf0e269091dce84792adb504955d98b 2022-03-15 0.918 10 -
vgg              0.916 zh-2.0.0-beta0         14dca1a4bfe97ae62904d034914cfbbf53ae2057 2022-04-29 0.918  8 -
vgg              0.911 zh-2.0.0-beta1         292d94212a9cb4098f6c6044f1ac2b2a30d0e613 2022-07-31 0.917  9 -
vgg              0.919 zh-2.0.0               bb1d8130bcb56ebb6ac1ef71b57cfc5be1ed867e 2022-12-07 0.923  9 -
vgg              0.900 zh-2.0.0               dc2a33e673d2ca8b8ccdafb1f4a52c9f9062ae55 2022-12-07 0.906  9 -
vgg              0.920 zh-2.0.0               78c29b24651ecb082d17cdfabeed7de4f9de6a3f 2023-08-14 0.920 10 -
vgg              0.920 zh-2.0.0               7037e28adea93ef52664b4526804a57d9e0ff8ed 2023-08-18 0.920 10 -
nin              0.570 en-build-0.13.2        52556102557ca789928c86ec54ea636586bc177a 2020-06-02     -  - -
nin              0.865 en-build-0.13.2        cd9e9f5b50bb9a7a992d21671a544a2e18871934 2020-06-03     -  - -
nin              0.847 en-build-0.13.2        b5db28881538e128cb2b6827345b7de9806bf9da 2020-06-13     -  - -
nin              0.875 en-build-0.13.2        48a618acc6d2c2c9b0933a3c069bcbaeacdd52bc 2020-06-14     -  - -
nin              0.860 en-build-0.13.2        28dae0bb4a5fd9bb013bb1a04d5628bfc6459bd7 2020-06-15     -  - -
nin              0.843 en-build-0.13.2        bee9b3d2f72cea1ea93959807d95b7f4c3f51ae5 2020-06-15     -  - -
nin              0.744 en-0.14.0              c56d5b70496dc2c12b87bc70b04ccc9b0c281bc8 2020-07-02 0.749  9 -
nin              0.859 en-0.14.1              1e02b7f76a85702ad384859e314e8af810bd04e6 2020-07-18 0.859 10 -
nin              0.197 en-0.14.1              fdad282d77200996b28bc989cf291ef8874401c8 2020-07-19 0.205  1 -
nin              0.873 en-0.14.2              0dbe2693f3d048cf67241e15c2b0b088caf2c740 2020-07-29 0.873  9 -
nin              0.788 en-0.14.2              e90900a54cb548f3a120f0add53e634c0b270a83 2020-07-30 0.788 10 -
nin              0.693 en-0.14.3              3dec00e60119ebd305f634313f82f9faf556d3cf 2020-08-09 0.700  9 -
nin              0.652 en-0.14.3              b4d89d3221788de218d6223c1a4e8bc18799af30 2020-08-11 0.664  9 -
nin              0.870 en-0.14.4              35acae0b2e951fec23981c2433884adf9071bb84 2020-09-18 0.870 10 -
nin              0.871 en-0.15.0              0d5a58cb2c9753c86f25d171291c1b604283877c 2020-10-23 0.871 10 -
nin              0.838 en-0.15.0              ae012cfb18ed9fc7fbff20eda9ac68780cf0894b 2020-10-26 0.849  9 -
nin              0.100 en-0.15.1              dcd2a147545c74de9ab5cd9febc723e098d204ea 2020-11-06 0.805  5 -
nin              0.789 en-0.16.0              700411c207d2af557f6dca47e4879b1f1aed14dd 2021-01-06 0.796  8 -
nin              0.836 en-0.16.1              c8968392205a3e7d0776b00946bef3d8f5fa3548 2021-01-19 0.836 10 -
nin              0.412 en-0.16.2              2a3e233663e99d53545fa2973561f2bbd223b365 2021-03-20 0.412 10 -
nin              0.695 en-0.16.3              d9539f76cf016f5c334085a9cb1f98cc58502f30 2021-04-23 0.695 10 -
nin              0.869 en-0.16.3              5976f69daafbcc2ef9eedbeb8a7d63bd02d1b550 2021-05-17 0.869 10 -
nin              0.792 en-0.16.4              0009bbcf260842350711034307a89dbc11811c6b 2021-05-17 0.801  8 -
nin              0.865 en-0.16.5              fe336e0fec882f9e0ddd28de980693ca90c39784 2021-06-02 0.875  9 -
nin              0.646 en-0.16.6              4c836524ebf00ec980b050e9b5c31f27972654bc 2021-06-17 0.660  9 -
nin              0.872 en-0.16.6              1ff02c2b5c1130ec8e6cf181698c2c5a27d40b23 2021-06-25 0.872 10 -
nin              0.449 en-0.16.7              7c19c226dec0ac79d24040259b03204330f06f6c 2021-07-21 0.449 10 -
nin              0.865 en-0.17.0              a188c65cd7f0f055e610e2cc19436a51aeb7a2ad 2021-07-25 0.865 10 -
nin              0.863 en-0.17.0              c701a71e2b4573ce55c09aa5e7afa2314ddbae28 2021-11-28 0.876  9 -
nin              0.639 en-0.17.1              57bb0dd7ed617c5ba69952b1587109adc97c6472 2021-12-08 0.655  9 -
nin              0.866 en-0.17.1              2dd79dd290d90e5e20235baa4905a0826c9b42e5 2021-12-08 0.867  8 -
nin              0.860 en-0.17.1              2b885297ce82df8c396bc18158cacb05f2c2d51f 2021-12-12 0.860 10 -
nin              0.845 en-0.17.2              c934fc08cfd460c34eac86693f0be40984e2d58c 2022-01-15 0.865  9 -
nin              0.822 en-0.17.2              135932d3bbd4c8c8471bab8b63256558b9f6e239 2022-01-17 0.827  9 -
nin              0.861 en-0.17.4              0931e12e5ce269e91d556815b011199e29fca0ed 2022-03-13 0.862  9 -
nin              0.867 en-0.17.4              b059165fc376e572e0a3945a14bb1e0f102eef8e 2022-03-25 0.867 10 -
nin              0.785 en-0.17.5              6598017454f4fc7f6aebd6c76b8584e7e3743a60 2022-07-10 0.798  9 -
nin              0.852 zh-2.0.0-alpha0        8293cb7bae173b70a52b032864796cbecedbac62 2021-03-12 0.852 10 -
nin              0.879 zh-2.0.0-alpha1        38b7a98c92f83034c9ebc676f23ef146b704ebc7 2021-05-08 0.879 10 -
nin              0.842 zh-2.0.0-alpha1        e1949a3bdf01b68b0ef8663b43bb91fdc846f7a1 2021-05-16 0.872  9 -
nin              0.832 zh-2.0.0-alpha1        9c0510df29c0f3db04f6b1535a02121a8922cddf 2021-06-17 0.850  9 -
nin              0.822 zh-2.0.0-alpha1        9d17d8ff962b1c168f016792a821b87251b9aeb1 2021-06-25 0.856  8 -
nin              0.768 zh-2.0.0-alpha1        7aa57815ac5f7bfcce609a37ad92311d52500bc2 2021-06-30 0.772  8 -
nin              0.100 zh-2.0.0-alpha1        7a30024e1880f5f12f227e0e2a366356ac1e3159 2021-07-25     -  - -
nin              0.867 zh-2.0.0-alpha2        a0fa7bf18ef018b21916ff75dc0559781b9559c4 2021-08-04 0.867 10 -
nin              0.868 zh-2.0.0-alpha2        9dff6f354c8ed968a31e4700c5f15d57ca93b02b 2021-08-26 0.868 10 -
nin              0.752 zh-2.0.0-alpha2        7772d10c986af48332deb9bbb7121daa05f298ae 2021-12-05 0.785  7 -
nin              0.690 zh-2.0.0-alpha2        1c3d5df9484d189e1ae72d509abe51225b1be74a 2021-12-05 0.705  9 -
nin              0.390 zh-2.0.0-beta0         7c981387b90cbb565501037df64ad1237cab51d4 2021-12-09 0.400  9 -
nin              0.873 zh-2.0.0-beta0         747ef3ad08f7464755347acd7833f5fd9ffce968 2022-01-15 0.876  8 -
nin              0.772 zh-2.0.0-beta0         a2ff8aa5b66085dbb6dc7917f6c625e2b985181e 2022-01-17 0.775  9 -
nin              0.869 zh-2.0.0-beta0         d82cf94b2bf0e269091dce84792adb504955d98b 2022-03-15 0.869 10 -
nin              0.378 zh-2.0.0-beta0         14dca1a4bfe97ae62904d034914cfbbf53ae2057 2022-04-29 0.378 10 -
nin              0.879 zh-2.0.0-beta1         292d94212a9cb4098f6c6044f1ac2b2a30d0e613 2022-07-31 0.879 10 -
nin              0.751 zh-2.0.0               bb1d8130bcb56ebb6ac1ef71b57cfc5be1ed867e 2022-12-07 0.751 10 -
nin              0.865 zh-2.0.0               dc2a33e673d2ca8b8ccdafb1f4a52c9f9062ae55 2022-12-07 0.865  7 -
nin              0.834 zh-2.0.0               78c29b24651ecb082d17cdfabeed7de4f9de6a3f 2023-08-14 0.834 10 -
nin              0.790 zh-2.0.0               7037e28adea93ef52664b4526804a57d9e0ff8ed 2023-08-18 0.790 10 -
googlenet        0.901 en-build-0.13.2        52556102557ca789928c86ec54ea636586bc177a 2020-06-02     -  - -
googlenet        0.902 en-build-0.13.2        cd9e9f5b50bb9a7a992d21671a544a2e18871934 2020-06-03     -  - -
googlenet        0.899 en-pre-0.14.0          c56d5b70496dc2c12b87bc70b04ccc9b0c281bc8 2020-07-02 0.899 10 -
googlenet        0.871 en-0.14.0              0eb1d9be8146c8954c412e4ac05caac974e495a2 2020-07-02 0.891  7 -
googlenet        0.886 en-0.14.1              1e02b7f76a85702ad384859e314e8af810bd04e6 2020-07-18 0.895  9 -
googlenet        0.892 en-0.14.1              fdad282d77200996b28bc989cf291ef8874401c8 2020-07-19 0.892 10 -
googlenet        0.892 en-0.14.2              0dbe2693f3d048cf67241e15c2b0b088caf2c740 2020-07-29 0.893  8 -
googlenet        0.872 en-0.14.2              e90900a54cb548f3a120f0add53e634c0b270a83 2020-07-30 0.892  9 -
googlenet        0.886 en-0.14.3              3dec00e60119ebd305f634313f82f9faf556d3cf 2020-08-09 0.900  9 -
googlenet        0.901 en-0.14.3              b4d89d3221788de218d6223c1a4e8bc18799af30 2020-08-11 0.901 10 -
googlenet        0.879 en-0.14.4              35acae0b2e951fec23981c2433884adf9071bb84 2020-09-18 0.886  9 -
googlenet        0.896 en-0.15.0              0d5a58cb2c9753c86f25d171291c1b604283877c 2020-10-23 0.896 10 -
googlenet        0.873 en-0.15.0              ae012cfb18ed9fc7fbff20eda9ac68780cf0894b 2020-10-26 0.887  7 -
googlenet        0.895 en-0.15.1              dcd2a147545c74de9ab5cd9febc723e098d204ea 2020-11-06 0.895 10 -
googlenet        0.872 en-0.16.0              700411c207d2af557f6dca47e4879b1f1aed14dd 2021-01-06 0.894  8 -
googlenet        0.896 en-0.16.1              c8968392205a3e7d0776b00946bef3d8f5fa3548 2021-01-19 0.896 10 -
googlenet        0.891 en-0.16.2              2a3e233663e99d53545fa2973561f2bbd223b365 2021-03-20 0.891 10 -
googlenet        0.888 en-0.16.3              d9539f76cf016f5c334085a9cb1f98cc58502f30 2021-04-23 0.888 10 -
googlenet        0.855 en-0.16.3              5976f69daafbcc2ef9eedbeb8a7d63bd02d1b550 2021-05-17 0.887  9 -
googlenet        0.890 en-0.16.4              0009bbcf260842350711034307a89dbc11811c6b 2021-05-17 0.892  9 -
googlenet        0.858 en-0.16.5              fe336e0fec882f9e0ddd28de980693ca90c39784 2021-06-02 0.874  9 -
googlenet        0.889 en-0.16.6              4c836524ebf00ec980b050e9b5c31f27972654bc 2021-06-17 0.889 10 -
googlenet        0.890 en-0.16.6              1ff02c2b5c1130ec8e6cf181698c2c5a27d40b23 2021-06-25 0.890 10 -
googlenet        0.885 en-0.16.7              7c19c226dec0ac79d24040259b03204330f06f6c 2021-07-21 0.888  8 -
googlenet        0.888 en-0.17.0              a188c65cd7f0f055e610e2cc19436a51aeb7a2ad 2021-07-25 0.888 10 -
googlenet        0.854 en-0.17.0              c701a71e2b4573ce55c09aa5e7afa2314ddbae28 2021-11-28 0.888  9 -
googlenet        0.897 en-0.17.1              57bb0dd7ed617c5ba69952b1587109adc97c6472 2021-12-08 0.897 10 -
googlenet        0.902 en-0.17.1              2dd79dd290d90e5e20235baa4905a0826c9b42e5 2021-12-08 0.902 10 -
googlenet        0.899 en-0.17.1              2b885297ce82df8c396bc18158cacb05f2c2d51f 2021-12-12 0.899 10 -
googlenet        0.881 en-0.17.2              c934fc08cfd460c34eac86693f0be40984e2d58c 2022-01-15 0.889  9 -
googlenet        0.894 en-0.17.2              135932d3bbd4c8c8471bab8b63256558b9f6e239 2022-01-17 0.898  9 -
googlenet        0.892 en-0.17.4              0931e12e5ce269e91d556815b011199e29fca0ed 2022-03-13 0.892 10 -
googlenet        0.887 en-0.17.4              b059165fc376e572e0a3945a14bb1e0f102eef8e 2022-03-25 0.892  9 -
googlenet        0.883 en-0.17.5              6598017454f4fc7f6aebd6c76b8584e7e3743a60 2022-07-10 0.897  9 -
googlenet        0.893 zh-2.0.0-alpha0        8293cb7bae173b70a52b032864796cbecedbac62 2021-03-12 0.897  9 -
googlenet        0.890 zh-2.0.0-alpha1        38b7a98c92f83034c9ebc676f23ef146b704ebc7 2021-05-08 0.890 10 -
googlenet        0.881 zh-2.0.0-alpha1        e1949a3bdf01b68b0ef8663b43bb91fdc846f7a1 2021-05-16 0.886  9 -
googlenet        0.870 zh-2.0.0-alpha1        9c0510df29c0f3db04f6b1535a02121a8922cddf 2021-06-17 0.889  9 -
googlenet        0.887 zh-2.0.0-alpha1        9d17d8ff962b1c168f016792a821b87251b9aeb1 2021-06-25 0.892  9 -
googlenet        0.886 zh-2.0.0-alpha1        7aa57815ac5f7bfcce609a37ad92311d52500bc2 2021-06-30 0.893  9 -
googlenet        0.890 zh-2.0.0-alpha1        7a30024e1880f5f12f227e0e2a366356ac1e3159 2021-07-25 0.890 10 -
googlenet        0.895 zh-2.0.0-alpha2        a0fa7bf18ef018b21916ff75dc0559781b9559c4 2021-08-04 0.895 10 -
googlenet        0.882 zh-2.0.0-alpha2        9dff6f354c8ed968a31e4700c5f15d57ca93b02b 2021-08-26 0.889  9 -
googlenet        0.894 zh-2.0.0-alpha2        7772d10c986af48332deb9bbb7121daa05f298ae 2021-12-05 0.894 10 -
googlenet        0.869 zh-2.0.0-alpha2        1c3d5df9484d189e1ae72d509abe51225b1be74a 2021-12-05 0.896  9 -
googlenet        0.850 zh-2.0.0-beta0         7c981387b90cbb565501037df64ad1237cab51d4 2021-12-09 0.889  9 -
googlenet        0.892 zh-2.0.0-beta0         747ef3ad08f7464755347acd7833f5fd9ffce968 2022-01-15 0.892 10 -
googlenet        0.896 zh-2.0.0-beta0         a2ff8aa5b66085dbb6dc7917f6c625e2b985181e 2022-01-17 0.896 10 -
googlenet        0.895 zh-2.0.0-beta0         d82cf94b2bf0e269091dce84792adb504955d98b 2022-03-15 0.895  9 -
googlenet        0.889 zh-2.0.0-beta0         14dca1a4bfe97ae62904d034914cfbbf53ae2057 2022-04-29 0.889 10 -
googlenet        0.885 zh-2.0.0-beta1         292d94212a9cb4098f6c6044f1ac2b2a30d0e613 2022-07-31 0.895  9 -
googlenet        0.897 zh-2.0.0               bb1d8130bcb56ebb6ac1ef71b57cfc5be1ed867e 2022-12-07 0.897  9 -
googlenet        0.899 zh-2.0.0               78c29b24651ecb082d17cdfabeed7de4f9de6a3f 2023-08-14 0.899 10 -
googlenet        0.886 zh-2.0.0               7037e28adea93ef52664b4526804a57d9e0ff8ed 2023-08-18 0.887 10 -
bn-lenet         0.891 en-build-0.13.2        52556102557ca789928c86ec54ea636586bc177a 2020-06-02     -  - max-pooling
bn-lenet         0.874 en-build-0.13.2        cd9e9f5b50bb9a7a992d21671a544a2e18871934 2020-06-03     -  - max-pooling
bn-lenet         0.878 en-build-0.13.2        2b32e2d7721b043a54901530b2e221fc925f8ae4 2020-06-09     -  - max-pooling
bn-lenet         0.869 en-build-0.13.2        c37a4826081ba896cb504583ba7c948c4fe65359 2020-06-09     -  - max-pooling
bn-lenet         0.882 en-build-0.13.2        27d687685b47900dea51a45f4574dfc7d16f1539 2020-06-10     -  - max-pooling
bn-lenet         0.885 en-build-0.13.2        1e1e3afe3aeea5eceec167893b62fb73b0ebd35e 2020-06-10     -  - max-pooling
bn-lenet         0.879 en-build-0.13.2        bbc6c3954495ae800b8f4df78f0ebb17df329c8d 2020-06-10     -  - max-pooling
bn-lenet         0.866 en-build-0.13.2        14ec5b1e612f5c13652b14b116ea5d9c9303d99d 2020-06-12     -  - max-pooling
bn-lenet         0.867 en-0.14.0              c56d5b70496dc2c12b87bc70b04ccc9b0c281bc8 2020-07-02 0.888  8 max-pooling
bn-lenet         0.878 en-0.14.1              1e02b7f76a85702ad384859e314e8af810bd04e6 2020-07-18 0.880  9 max-pooling
bn-lenet         0.848 en-0.14.1              fdad282d77200996b28bc989cf291ef8874401c8 2020-07-19 0.878  5 max-pooling
bn-lenet         0.870 en-0.14.2              0dbe2693f3d048cf67241e15c2b0b088caf2c740 2020-07-29 0.877  8 max-pooling
bn-lenet         0.882 en-0.14.2              e90900a54cb548f3a120f0add53e634c0b270a83 2020-07-30 0.882 10 max-pooling
bn-lenet         0.874 en-0.14.3              3dec00e60119ebd305f634313f82f9faf556d3cf 2020-08-09 0.886  7 max-pooling
bn-lenet         0.882 en-0.14.3              b4d89d3221788de218d6223c1a4e8bc18799af30 2020-08-11 0.885  6 max-pooling
bn-lenet         0.865 en-0.14.4              35acae0b2e951fec23981c2433884adf9071bb84 2020-09-18 0.886  9 max-pooling
bn-lenet         0.885 en-0.15.0              0d5a58cb2c9753c86f25d171291c1b604283877c 2020-10-23 0.885 10 max-pooling
bn-lenet         0.878 en-0.15.0              ae012cfb18ed9fc7fbff20eda9ac68780cf0894b 2020-10-26 0.883  8 max-pooling
bn-lenet         0.877 en-0.15.1              dcd2a147545c74de9ab5cd9febc723e098d204ea 2020-11-06 0.888  9 max-pooling
bn-lenet         0.882 en-0.16.0              700411c207d2af557f6dca47e4879b1f1aed14dd 2021-01-06 0.885  8 max-pooling
bn-lenet         0.881 en-0.16.1              c8968392205a3e7d0776b00946bef3d8f5fa3548 2021-01-19 0.883  9 max-pooling
bn-lenet         0.884 en-0.16.2              2a3e233663e99d53545fa2973561f2bbd223b365 2021-03-20 0.887  8 max-pooling
bn-lenet         0.866 en-0.16.3              d9539f76cf016f5c334085a9cb1f98cc58502f30 2021-04-23 0.884  8 max-pooling
bn-lenet         0.894 en-0.16.3              5976f69daafbcc2ef9eedbeb8a7d63bd02d1b550 2021-05-17 0.894 10 max-pooling
bn-lenet         0.875 en-0.16.4              0009bbcf260842350711034307a89dbc11811c6b 2021-05-17 0.875 10 max-pooling
bn-lenet         0.885 en-0.16.5              fe336e0fec882f9e0ddd28de980693ca90c39784 2021-06-02 0.885 10 max-pooling
bn-lenet         0.773 en-0.16.6              4c836524ebf00ec980b050e9b5c31f27972654bc 2021-06-17 0.859  4 -
bn-lenet         0.853 en-0.16.6              1ff02c2b5c1130ec8e6cf181698c2c5a27d40b23 2021-06-25 0.871  8 -
bn-lenet         0.682 en-0.16.7              7c19c226dec0ac79d24040259b03204330f06f6c 2021-07-21 0.854  6 -
bn-lenet         0.795 en-0.17.0              a188c65cd7f0f055e610e2cc19436a51aeb7a2ad 2021-07-25 0.807  8 -
bn-lenet         0.840 en-0.17.0              c701a71e2b4573ce55c09aa5e7afa2314ddbae28 2021-11-28 0.851  9 -
bn-lenet         0.850 en-0.17.1              57bb0dd7ed617c5ba69952b1587109adc97c6472 2021-12-08 0.850 10 -
bn-lenet         0.849 en-0.17.1              2dd79dd290d90e5e20235baa4905a0826c9b42e5 2021-12-08 0.850  6 -
bn-lenet         0.873 en-0.17.1              2b885297ce82df8c396bc18158cacb05f2c2d51f 2021-12-12 0.882  6 max-pooling
bn-lenet         0.843 en-0.17.2              c934fc08cfd460c34eac86693f0be40984e2d58c 2022-01-15 0.858  8 -
bn-lenet         0.825 en-0.17.2              135932d3bbd4c8c8471bab8b63256558b9f6e239 2022-01-17 0.890  9 -
bn-lenet         0.873 en-0.17.4              0931e12e5ce269e91d556815b011199e29fca0ed 2022-03-13 0.873 10 -
bn-lenet         0.852 en-0.17.4              b059165fc376e572e0a3945a14bb1e0f102eef8e 2022-03-25 0.862  7 -
bn-lenet         0.838 en-0.17.5              6598017454f4fc7f6aebd6c76b8584e7e3743a60 2022-07-10 0.880  8 -
bn-lenet         0.883 zh-2.0.0-alpha0        8293cb7bae173b70a52b032864796cbecedbac62 2021-03-12 0.883  8 max-pooling
bn-lenet         0.885 zh-2.0.0-alpha1        38b7a98c92f83034c9ebc676f23ef146b704ebc7 2021-05-08 0.889  9 max-pooling
bn-lenet         0.876 zh-2.0.0-alpha1        e1949a3bdf01b68b0ef8663b43bb91fdc846f7a1 2021-05-16 0.877  6 max-pooling
bn-lenet         0.802 zh-2.0.0-alpha1        9c0510df29c0f3db04f6b1535a02121a8922cddf 2021-06-17 0.848  8 max-pooling
bn-lenet         0.814 zh-2.0.0-alpha1        9d17d8ff962b1c168f016792a821b87251b9aeb1 2021-06-25 0.860  8 max-pooling
bn-lenet         0.855 zh-2.0.0-alpha1        7aa57815ac5f7bfcce609a37ad92311d52500bc2 2021-06-30 0.877  6 max-pooling
bn-lenet         0.831 zh-2.0.0-alpha1        7a30024e1880f5f12f227e0e2a366356ac1e3159 2021-07-25 0.863  8 max-pooling
bn-lenet         0.826 zh-2.0.0-alpha2        a0fa7bf18ef018b21916ff75dc0559781b9559c4 2021-08-04 0.873  6 max-pooling
bn-lenet         0.801 zh-2.0.0-alpha2        9dff6f354c8ed968a31e4700c5f15d57ca93b02b 2021-08-26 0.855  9 max-pooling
bn-lenet         0.590 zh-2.0.0-alpha2        7772d10c986af48332deb9bbb7121daa05f298ae 2021-12-05 0.833  5 -
bn-lenet         0.858 zh-2.0.0-alpha2        1c3d5df9484d189e1ae72d509abe51225b1be74a 2021-12-05 0.881  9 -
bn-lenet         0.884 zh-2.0.0-beta0         7c981387b90cbb565501037df64ad1237cab51d4 2021-12-09 0.884 10 -
bn-lenet         0.640 zh-2.0.0-beta0         747ef3ad08f7464755347acd7833f5fd9ffce968 2022-01-15 0.867  9 -
bn-lenet         0.862 zh-2.0.0-beta0         a2ff8aa5b66085dbb6dc7917f6c625e2b985181e 2022-01-17 0.866  5 -
bn-lenet         0.782 zh-2.0.0-beta0         d82cf94b2bf0e269091dce84792adb504955d98b 2022-03-15 0.887  9 -
bn-lenet         0.817 zh-2.0.0-beta0         14dca1a4bfe97ae62904d034914cfbbf53ae2057 2022-04-29 0.874  7 -
bn-lenet         0.831 zh-2.0.0-beta1         292d94212a9cb4098f6c6044f1ac2b2a30d0e613 2022-07-31 0.879  8 -
bn-lenet         0.787 zh-2.0.0               bb1d8130bcb56ebb6ac1ef71b57cfc5be1ed867e 2022-12-07 0.864  8 -
bn-lenet         0.860 zh-2.0.0               dc2a33e673d2ca8b8ccdafb1f4a52c9f9062ae55 2022-12-07 0.868  9 -
bn-lenet         0.700 zh-2.0.0               78c29b24651ecb082d17cdfabeed7de4f9de6a3f 2023-08-14 0.838  8 -
bn-lenet         0.807 zh-2.0.0               7037e28adea93ef52664b4526804a57d9e0ff8ed 2023-08-18 0.856  7 -
bn-lenet-concise 0.866 en-build-0.13.2        52556102557ca789928c86ec54ea636586bc177a 2020-06-02     -  - max-pooling
bn-lenet-concise 0.878 en-build-0.13.2        cd9e9f5b50bb9a7a992d21671a544a2e18871934 2020-06-03     -  - max-pooling
bn-lenet-concise 0.883 en-build-0.13.2        2b32e2d7721b043a54901530b2e221fc925f8ae4 2020-06-09     -  - max-pooling
bn-lenet-concise 0.878 en-build-0.13.2        c37a4826081ba896cb504583ba7c948c4fe65359 2020-06-09     -  - max-pooling
bn-lenet-concise 0.892 en-build-0.13.2        27d687685b47900dea51a45f4574dfc7d16f1539 2020-06-10     -  - max-pooling
bn-lenet-concise 0.865 en-build-0.13.2        1e1e3afe3aeea5eceec167893b62fb73b0ebd35e 2020-06-10     -  - max-pooling
bn-lenet-concise 0.881 en-build-0.13.2        bbc6c3954495ae800b8f4df78f0ebb17df329c8d 2020-06-10     -  - max-pooling
bn-lenet-concise 0.885 en-build-0.13.2        14ec5b1e612f5c13652b14b116ea5d9c9303d99d 2020-06-12     -  - max-pooling
bn-lenet-concise 0.883 en-0.14.0              c56d5b70496dc2c12b87bc70b04ccc9b0c281bc8 2020-07-02 0.883 10 max-pooling
bn-lenet-concise 0.766 en-0.14.1              1e02b7f76a85702ad384859e314e8af810bd04e6 2020-07-18 0.873  9 max-pooling
bn-lenet-concise 0.877 en-0.14.1              fdad282d77200996b28bc989cf291ef8874401c8 2020-07-19 0.877 10 max-pooling
bn-lenet-concise 0.825 en-0.14.2              0dbe2693f3d048cf67241e15c2b0b088caf2c740 2020-07-29 0.868  8 max-pooling
bn-lenet-concise 0.868 en-0.14.2              e90900a54cb548f3a120f0add53e634c0b270a83 2020-07-30 0.868 10 max-pooling
bn-lenet-concise 0.870 en-0.14.3              3dec00e60119ebd305f634313f82f9faf556d3cf 2020-08-09 0.870 10 max-pooling
bn-lenet-concise 0.874 en-0.14.3              b4d89d3221788de218d6223c1a4e8bc18799af30 2020-08-11 0.882  9 max-pooling
bn-lenet-concise 0.827 en-0.14.4              35acae0b2e951fec23981c2433884adf9071bb84 2020-09-18 0.864  7 max-pooling
bn-lenet-concise 0.850 en-0.15.0              0d5a58cb2c9753c86f25d171291c1b604283877c 2020-10-23 0.858  8 max-pooling
bn-lenet-concise 0.843 en-0.15.0              ae012cfb18ed9fc7fbff20eda9ac68780cf0894b 2020-10-26 0.872  7 max-pooling
bn-lenet-concise 0.866 en-0.15.1              dcd2a147545c74de9ab5cd9febc723e098d204ea 2020-11-06 0.868  8 max-pooling
bn-lenet-concise 0.518 en-0.16.0              700411c207d2af557f6dca47e4879b1f1aed14dd 2021-01-06 0.875  8 max-pooling
bn-lenet-concise 0.790 en-0.16.1              c8968392205a3e7d0776b00946bef3d8f5fa3548 2021-01-19 0.862  6 max-pooling
bn-lenet-concise 0.773 en-0.16.2              2a3e233663e99d53545fa2973561f2bbd223b365 2021-03-20 0.880  8 max-pooling
bn-lenet-concise 0.826 en-0.16.3              d9539f76cf016f5c334085a9cb1f98cc58502f30 2021-04-23 0.864  7 max-pooling
bn-lenet-concise 0.852 en-0.16.3              5976f69daafbcc2ef9eedbeb8a7d63bd02d1b550 2021-05-17 0.864  9 max-pooling
bn-lenet-concise 0.853 en-0.16.4              0009bbcf260842350711034307a89dbc11811c6b 2021-05-17 0.867  7 max-pooling
bn-lenet-concise 0.879 en-0.16.5              fe336e0fec882f9e0ddd28de980693ca90c39784 2021-06-02 0.879 10 max-pooling
bn-lenet-concise 0.732 en-0.16.6              4c836524ebf00ec980b050e9b5c31f27972654bc 2021-06-17 0.870  9 -
bn-lenet-concise 0.877 en-0.16.6              1ff02c2b5c1130ec8e6cf181698c2c5a27d40b23 2021-06-25 0.877 10 -
bn-lenet-concise 0.763 en-0.16.7              7c19c226dec0ac79d24040259b03204330f06f6c 2021-07-21 0.867  9 -
bn-lenet-concise 0.880 en-0.17.0              a188c65cd7f0f055e610e2cc19436a51aeb7a2ad 2021-07-25 0.887  9 -
bn-lenet-concise 0.883 en-0.17.0              c701a71e2b4573ce55c09aa5e7afa2314ddbae28 2021-11-28 0.883 10 -
bn-lenet-concise 0.705 en-0.17.1              57bb0dd7ed617c5ba69952b1587109adc97c6472 2021-12-08 0.845  7 -
bn-lenet-concise 0.846 en-0.17.1              2dd79dd290d90e5e20235baa4905a0826c9b42e5 2021-12-08 0.868  9 -
bn-lenet-concise 0.838 en-0.17.1              2b885297ce82df8c396bc18158cacb05f2c2d51f 2021-12-12 0.852  5 max-pooling
bn-lenet-concise 0.833 en-0.17.2              c934fc08cfd460c34eac86693f0be40984e2d58c 2022-01-15 0.832 10 -
bn-lenet-concise 0.699 en-0.17.2              135932d3bbd4c8c8471bab8b63256558b9f6e239 2022-01-17 0.848  5 -
bn-lenet-concise 0.885 en-0.17.4              0931e12e5ce269e91d556815b011199e29fca0ed 2022-03-13 0.885 10 -
bn-lenet-concise 0.801 en-0.17.4              b059165fc376e572e0a3945a14bb1e0f102eef8e 2022-03-25 0.854  9 -
bn-lenet-concise 0.836 en-0.17.5              6598017454f4fc7f6aebd6c76b8584e7e3743a60 2022-07-10 0.852  9 -
bn-lenet-concise 0.876 zh-2.0.0-alpha0        8293cb7bae173b70a52b032864796cbecedbac62 2021-03-12 0.886  9 max-pooling
bn-lenet-concise 0.879 zh-2.0.0-alpha1        38b7a98c92f83034c9ebc676f23ef146b704ebc7 2021-05-08 0.880 10 max-pooling
bn-lenet-concise 0.853 zh-2.0.0-alpha1        e1949a3bdf01b68b0ef8663b43bb91fdc846f7a1 2021-05-16 0.881  9 max-pooling
bn-lenet-concise 0.782 zh-2.0.0-alpha1        9c0510df29c0f3db04f6b1535a02121a8922cddf 2021-06-17 0.840  9 max-pooling
bn-lenet-concise 0.848 zh-2.0.0-alpha1        9d17d8ff962b1c168f016792a821b87251b9aeb1 2021-06-25 0.880  7 max-pooling
bn-lenet-concise 0.839 zh-2.0.0-alpha1        7aa57815ac5f7bfcce609a37ad92311d52500bc2 2021-06-30 0.878  9 max-pooling
bn-lenet-concise 0.843 zh-2.0.0-alpha1        7a30024e1880f5f12f227e0e2a366356ac1e3159 2021-07-25 0.872  3 max-pooling
bn-lenet-concise 0.873 zh-2.0.0-alpha2        a0fa7bf18ef018b21916ff75dc0559781b9559c4 2021-08-04 0.873  9 max-pooling
bn-lenet-concise 0.869 zh-2.0.0-alpha2        9dff6f354c8ed968a31e4700c5f15d57ca93b02b 2021-08-26 0.869 10 max-pooling
bn-lenet-concise 0.830 zh-2.0.0-alpha2        7772d10c986af48332deb9bbb7121daa05f298ae 2021-12-05 0.869  9 -
bn-lenet-concise 0.841 zh-2.0.0-alpha2        1c3d5df9484d189e1ae72d509abe51225b1be74a 2021-12-05 0.870  7 -
bn-lenet-concise 0.871 zh-2.0.0-beta0         7c981387b90cbb565501037df64ad1237cab51d4 2021-12-09 0.883  7 -
bn-lenet-concise 0.816 zh-2.0.0-beta0         747ef3ad08f7464755347acd7833f5fd9ffce968 2022-01-15 0.846  6 -
bn-lenet-concise 0.788 zh-2.0.0-beta0         a2ff8aa5b66085dbb6dc7917f6c625e2b985181e 2022-01-17 0.863  7 -
bn-lenet-concise 0.876 zh-2.0.0-beta0         d82cf94b2bf0e269091dce84792adb504955d98b 2022-03-15 0.876 10 -
bn-lenet-concise 0.834 zh-2.0.0-beta0         14dca1a4bfe97ae62904d034914cfbbf53ae2057 2022-04-29 0.838  7 -
bn-lenet-concise 0.853 zh-2.0.0-beta1         292d94212a9cb4098f6c6044f1ac2b2a30d0e613 2022-07-31 0.859  8 -
bn-lenet-concise 0.787 zh-2.0.0               bb1d8130bcb56ebb6ac1ef71b57cfc5be1ed867e 2022-12-07 0.869  9 -
bn-lenet-concise 0.862 zh-2.0.0               dc2a33e673d2ca8b8ccdafb1f4a52c9f9062ae55 2022-12-07 0.862 10 -
bn-lenet-concise 0.832 zh-2.0.0               78c29b24651ecb082d17cdfabeed7de4f9de6a3f 2023-08-14 0.856  5 -
bn-lenet-concise 0.708 zh-2.0.0               7037e28adea93ef52664b4526804a57d9e0ff8ed 2023-08-18 0.882  6 -
resnet18         0.916 en-build-0.13.2        52556102557ca789928c86ec54ea636586bc177a 2020-06-02     -  - -
resnet18         0.904 en-build-0.13.2        cd9e9f5b50bb9a7a992d21671a544a2e18871934 2020-06-03     -  - -
resnet18         0.910 en-0.14.0              c56d5b70496dc2c12b87bc70b04ccc9b0c281bc8 2020-07-02 0.914  9 -
resnet18         0.901 en-0.14.1              1e02b7f76a85702ad384859e314e8af810bd04e6 2020-07-18 0.901 10 -
resnet18         0.865 en-0.14.1              fdad282d77200996b28bc989cf291ef8874401c8 2020-07-19 0.885  5 -
resnet18         0.669 en-0.14.2              0dbe2693f3d048cf67241e15c2b0b088caf2c740 2020-07-29 0.880  6 -
resnet18         0.779 en-0.14.2              e90900a54cb548f3a120f0add53e634c0b270a83 2020-07-30 0.909  9 -
resnet18         0.865 en-0.14.3              3dec00e60119ebd305f634313f82f9faf556d3cf 2020-08-09 0.907  5 -
resnet18         0.903 en-0.14.3              b4d89d3221788de218d6223c1a4e8bc18799af30 2020-08-11 0.903 10 -
resnet18         0.924 en-0.14.4              35acae0b2e951fec23981c2433884adf9071bb84 2020-09-18 0.924 10 -
resnet18         0.910 en-0.15.0              0d5a58cb2c9753c86f25d171291c1b604283877c 2020-10-23 0.910 10 -
resnet18         0.885 en-0.15.0              ae012cfb18ed9fc7fbff20eda9ac68780cf0894b 2020-10-26 0.915  7 -
resnet18         0.903 en-0.15.1              dcd2a147545c74de9ab5cd9febc723e098d204ea 2020-11-06 0.903  6 -
resnet18         0.919 en-0.16.0              700411c207d2af557f6dca47e4879b1f1aed14dd 2021-01-06 0.919 10 -
resnet18         0.921 en-0.16.1              c8968392205a3e7d0776b00946bef3d8f5fa3548 2021-01-19 0.921 10 -
resnet18         0.920 en-0.16.2              2a3e233663e99d53545fa2973561f2bbd223b365 2021-03-20 0.920 10 -
resnet18         0.911 en-0.16.3              d9539f76cf016f5c334085a9cb1f98cc58502f30 2021-04-23 0.911 10 -
resnet18         0.855 en-0.16.3              5976f69daafbcc2ef9eedbeb8a7d63bd02d1b550 2021-05-17 0.915  9 -
resnet18         0.915 en-0.16.4              0009bbcf260842350711034307a89dbc11811c6b 2021-05-17 0.915 10 -
resnet18         0.917 en-0.16.5              fe336e0fec882f9e0ddd28de980693ca90c39784 2021-06-02 0.917 10 -
resnet18         0.915 en-0.16.6              4c836524ebf00ec980b050e9b5c31f27972654bc 2021-06-17 0.915 10 -
resnet18         0.909 en-0.16.6              1ff02c2b5c1130ec8e6cf181698c2c5a27d40b23 2021-06-25 0.918  9 -
resnet18         0.920 en-0.16.7              7c19c226dec0ac79d24040259b03204330f06f6c 2021-07-21 0.920  9 -
resnet18         0.919 en-0.17.0              a188c65cd7f0f055e610e2cc19436a51aeb7a2ad 2021-07-25 0.919 10 -
resnet18         0.894 en-0.17.0              c701a71e2b4573ce55c09aa5e7afa2314ddbae28 2021-11-28 0.910  5 -
resnet18         0.806 en-0.17.1              57bb0dd7ed617c5ba69952b1587109adc97c6472 2021-12-08 0.920  9 -
resnet18         0.913 en-0.17.1              2dd79dd290d90e5e20235baa4905a0826c9b42e5 2021-12-08 0.913 10 -
resnet18         0.861 en-0.17.1              2b885297ce82df8c396bc18158cacb05f2c2d51f 2021-12-12 0.902  2 -
resnet18         0.918 en-0.17.2              c934fc08cfd460c34eac86693f0be40984e2d58c 2022-01-15 0.918 10 -
resnet18         0.924 en-0.17.2              135932d3bbd4c8c8471bab8b63256558b9f6e239 2022-01-17 0.924 10 -
resnet18         0.915 en-0.17.4              0931e12e5ce269e91d556815b011199e29fca0ed 2022-03-13 0.915  6 -
resnet18         0.898 en-0.17.4              b059165fc376e572e0a3945a14bb1e0f102eef8e 2022-03-25 0.904  7 -
resnet18         0.918 en-0.17.5              6598017454f4fc7f6aebd6c76b8584e7e3743a60 2022-07-10 0.918 10 -
resnet18         0.908 zh-2.0.0-alpha0        8293cb7bae173b70a52b032864796cbecedbac62 2021-03-12 0.920  9 -
resnet18         0.916 zh-2.0.0-alpha1        38b7a98c92f83034c9ebc676f23ef146b704ebc7 2021-05-08 0.916 10 -
resnet18         0.838 zh-2.0.0-alpha1        e1949a3bdf01b68b0ef8663b43bb91fdc846f7a1 2021-05-16 0.904  8 -
resnet18         0.922 zh-2.0.0-alpha1        9c0510df29c0f3db04f6b1535a02121a8922cddf 2021-06-17 0.922 10 -
resnet18         0.920 zh-2.0.0-alpha1        9d17d8ff962b1c168f016792a821b87251b9aeb1 2021-06-25 0.920 10 -
resnet18         0.891 zh-2.0.0-alpha1        7aa57815ac5f7bfcce609a37ad92311d52500bc2 2021-06-30 0.915  7 -
resnet18         0.907 zh-2.0.0-alpha1        7a30024e1880f5f12f227e0e2a366356ac1e3159 2021-07-25 0.907 10 -
resnet18         0.914 zh-2.0.0-alpha2        a0fa7bf18ef018b21916ff75dc0559781b9559c4 2021-08-04 0.914 10 -
resnet18         0.895 zh-2.0.0-alpha2        9dff6f354c8ed968a31e4700c5f15d57ca93b02b 2021-08-26 0.905  8 -
resnet18         0.905 zh-2.0.0-alpha2        7772d10c986af48332deb9bbb7121daa05f298ae 2021-12-05 0.910  8 -
resnet18         0.921 zh-2.0.0-alpha2        1c3d5df9484d189e1ae72d509abe51225b1be74a 2021-12-05 0.921 10 -
resnet18         0.918 zh-2.0.0-beta0         7c981387b90cbb565501037df64ad1237cab51d4 2021-12-09 0.918 10 -
resnet18         0.917 zh-2.0.0-beta0         747ef3ad08f7464755347acd7833f5fd9ffce968 2022-01-15 0.917 10 -
resnet18         0.922 zh-2.0.0-beta0         a2ff8aa5b66085dbb6dc7917f6c625e2b985181e 2022-01-17 0.922 10 -
resnet18         0.909 zh-2.0.0-beta0         d82cf94b2bf0e269091dce84792adb504955d98b 2022-03-15 0.911  9 -
resnet18         0.882 zh-2.0.0-beta0         14dca1a4bfe97ae62904d034914cfbbf53ae2057 2022-04-29 0.914  9 -
resnet18         0.915 zh-2.0.0-beta1         292d94212a9cb4098f6c6044f1ac2b2a30d0e613 2022-07-31 0.915 10 -
resnet18         0.914 zh-2.0.0               bb1d8130bcb56ebb6ac1ef71b57cfc5be1ed867e 2022-12-07 0.915  7 -
resnet18         0.898 zh-2.0.0               dc2a33e673d2ca8b8ccdafb1f4a52c9f9062ae55 2022-12-07 0.916  9 -
resnet18         0.904 zh-2.0.0               78c29b24651ecb082d17cdfabeed7de4f9de6a3f 2023-08-14 0.920  9 -
resnet18         0.893 zh-2.0.0               7037e28adea93ef52664b4526804a57d9e0ff8ed 2023-08-18 0.921  9 -
densenet         0.906 en-build-0.13.2        52556102557ca789928c86ec54ea636586bc177a 2020-06-02     -  - max-pooling
densenet         0.900 en-build-0.13.2        cd9e9f5b50bb9a7a992d21671a544a2e18871934 2020-06-03     -  - max-pooling
densenet         0.919 en-pre-0.14.0          c56d5b70496dc2c12b87bc70b04ccc9b0c281bc8 2020-07-02 0.919 10 max-pooling
densenet         0.908 en-0.14.0              0eb1d9be8146c8954c412e4ac05caac974e495a2 2020-07-02 0.909  8 max-pooling
densenet         0.872 en-0.14.1              1e02b7f76a85702ad384859e314e8af810bd04e6 2020-07-18 0.910  6 max-pooling
densenet         0.898 en-0.14.1              fdad282d77200996b28bc989cf291ef8874401c8 2020-07-19 0.898 10 max-pooling
densenet         0.862 en-0.14.2              0dbe2693f3d048cf67241e15c2b0b088caf2c740 2020-07-29 0.901  7 max-pooling
densenet         0.902 en-0.14.2              e90900a54cb548f3a120f0add53e634c0b270a83 2020-07-30 0.904  8 max-pooling
densenet         0.812 en-0.14.3              3dec00e60119ebd305f634313f82f9faf556d3cf 2020-08-09 0.896  8 max-pooling
densenet         0.854 en-0.14.3              b4d89d3221788de218d6223c1a4e8bc18799af30 2020-08-11 0.900  6 max-pooling
densenet         0.755 en-0.14.4              35acae0b2e951fec23981c2433884adf9071bb84 2020-09-18 0.901  7 max-pooling
densenet         0.892 en-0.15.0              0d5a58cb2c9753c86f25d171291c1b604283877c 2020-10-23 0.898  9 max-pooling
densenet         0.900 en-0.15.0              ae012cfb18ed9fc7fbff20eda9ac68780cf0894b 2020-10-26 0.900 10 max-pooling
densenet         0.890 en-0.15.1              dcd2a147545c74de9ab5cd9febc723e098d204ea 2020-11-06 0.898  6 max-pooling
densenet         0.893 en-0.16.0              700411c207d2af557f6dca47e4879b1f1aed14dd 2021-01-06 0.906  7 max-pooling
densenet         0.900 en-0.16.1              c8968392205a3e7d0776b00946bef3d8f5fa3548 2021-01-19 0.910  9 max-pooling
densenet         0.861 en-0.16.2              2a3e233663e99d53545fa2973561f2bbd223b365 2021-03-20 0.906  9 max-pooling
densenet         0.900 en-0.16.3              d9539f76cf016f5c334085a9cb1f98cc58502f30 2021-04-23 0.900 10 max-pooling
densenet         0.880 en-0.16.3              5976f69daafbcc2ef9eedbeb8a7d63bd02d1b550 2021-05-17 0.909  8 max-pooling
densenet         0.785 en-0.16.4              0009bbcf260842350711034307a89dbc11811c6b 2021-05-17 0.899  7 max-pooling
densenet         0.911 en-0.16.5              fe336e0fec882f9e0ddd28de980693ca90c39784 2021-06-02 0.911 10 max-pooling
densenet         0.898 en-0.16.6              4c836524ebf00ec980b050e9b5c31f27972654bc 2021-06-17 0.902  8 max-pooling
densenet         0.876 en-0.16.6              1ff02c2b5c1130ec8e6cf181698c2c5a27d40b23 2021-06-25 0.909  6 max-pooling
densenet         0.862 en-0.16.7              7c19c226dec0ac79d24040259b03204330f06f6c 2021-07-21 0.864  6 max-pooling
densenet         0.891 en-0.17.0              a188c65cd7f0f055e610e2cc19436a51aeb7a2ad 2021-07-25 0.912  8 max-pooling
densenet         0.901 en-0.17.0              c701a71e2b4573ce55c09aa5e7afa2314ddbae28 2021-11-28 0.902 10 max-pooling
densenet         0.852 en-0.17.1              57bb0dd7ed617c5ba69952b1587109adc97c6472 2021-12-08 0.887  6 max-pooling
densenet         0.823 en-0.17.1              2dd79dd290d90e5e20235baa4905a0826c9b42e5 2021-12-08 0.899  7 max-pooling
densenet         0.899 en-0.17.1              2b885297ce82df8c396bc18158cacb05f2c2d51f 2021-12-12 0.903  9 max-pooling
densenet         0.857 en-0.17.2              c934fc08cfd460c34eac86693f0be40984e2d58c 2022-01-15 0.904  8 max-pooling
densenet         0.825 en-0.17.2              135932d3bbd4c8c8471bab8b63256558b9f6e239 2022-01-17 0.897  9 max-pooling
densenet         0.850 en-0.17.4              0931e12e5ce269e91d556815b011199e29fca0ed 2022-03-13 0.886  8 -
densenet         0.890 en-0.17.4              b059165fc376e572e0a3945a14bb1e0f102eef8e 2022-03-25 0.905  9 -
densenet         0.821 en-0.17.5              6598017454f4fc7f6aebd6c76b8584e7e3743a60 2022-07-10 0.913  9 -
densenet         0.902 zh-2.0.0-alpha0        8293cb7bae173b70a52b032864796cbecedbac62 2021-03-12 0.902 10 max-pooling
densenet         0.841 zh-2.0.0-alpha1        38b7a98c92f83034c9ebc676f23ef146b704ebc7 2021-05-08 0.892  7 max-pooling
densenet         0.872 zh-2.0.0-alpha1        e1949a3bdf01b68b0ef8663b43bb91fdc846f7a1 2021-05-16 0.872 10 max-pooling
densenet         0.838 zh-2.0.0-alpha1        9c0510df29c0f3db04f6b1535a02121a8922cddf 2021-06-17 0.903  6 max-pooling
densenet         0.785 zh-2.0.0-alpha1        9d17d8ff962b1c168f016792a821b87251b9aeb1 2021-06-25 0.894  5 max-pooling
densenet         0.858 zh-2.0.0-alpha1        7aa57815ac5f7bfcce609a37ad92311d52500bc2 2021-06-30 0.908  8 max-pooling
densenet         0.902 zh-2.0.0-alpha1        7a30024e1880f5f12f227e0e2a366356ac1e3159 2021-07-25 0.902 10 max-pooling
densenet         0.406 zh-2.0.0-alpha2        a0fa7bf18ef018b21916ff75dc0559781b9559c4 2021-08-04 0.899  4 max-pooling
densenet         0.880 zh-2.0.0-alpha2        9dff6f354c8ed968a31e4700c5f15d57ca93b02b 2021-08-26 0.891  7 max-pooling
densenet         0.896 zh-2.0.0-alpha2        7772d10c986af48332deb9bbb7121daa05f298ae 2021-12-05 0.905  8 max-pooling
densenet         0.829 zh-2.0.0-alpha2        1c3d5df9484d189e1ae72d509abe51225b1be74a 2021-12-05 0.890  9 max-pooling
densenet         0.818 zh-2.0.0-beta0         7c981387b90cbb565501037df64ad1237cab51d4 2021-12-09 0.912  7 max-pooling
densenet         0.852 zh-2.0.0-beta0         747ef3ad08f7464755347acd7833f5fd9ffce968 2022-01-15 0.902  8 max-pooling
densenet         0.822 zh-2.0.0-beta0         a2ff8aa5b66085dbb6dc7917f6c625e2b985181e 2022-01-17 0.873  9 max-pooling
densenet         0.901 zh-2.0.0-beta0         d82cf94b2bf0e269091dce84792adb504955d98b 2022-03-15 0.912  7 -
densenet         0.855 zh-2.0.0-beta0         14dca1a4bfe97ae62904d034914cfbbf53ae2057 2022-04-29 0.906  7 -
densenet         0.838 zh-2.0.0-beta1         292d94212a9cb4098f6c6044f1ac2b2a30d0e613 2022-07-31 0.902  5 -
densenet         0.918 zh-2.0.0               bb1d8130bcb56ebb6ac1ef71b57cfc5be1ed867e 2022-12-07 0.918 10 -
densenet         0.882 zh-2.0.0               dc2a33e673d2ca8b8ccdafb1f4a52c9f9062ae55 2022-12-07 0.893  6 -
densenet         0.851 zh-2.0.0               78c29b24651ecb082d17cdfabeed7de4f9de6a3f 2023-08-14 0.899  5 -
densenet         0.885 zh-2.0.0               7037e28adea93ef52664b4526804a57d9e0ff8ed 2023-08-18 0.903  8 -
"""

BOOK_REPOSITORIES = {"en": "d2l-ai/d2l-pytorch-colab", "zh": "d2l-ai/d2l-zh-pytorch-colab"}
_BOOK_NOTEBOOKS = {
    "lenet": "chapter_convolutional-neural-networks/lenet.ipynb",
    "alexnet": "chapter_convolutional-modern/alexnet.ipynb",
    "vgg": "chapter_convolutional-modern/vgg.ipynb",
    "nin": "chapter_convolutional-modern/nin.ipynb",
    "googlenet": "chapter_convolutional-modern/googlenet.ipynb",
    "bn-lenet": "chapter_convolutional-modern/batch-norm.ipynb",
    "bn-lenet-concise": "chapter_convolutional-modern/batch-norm.ipynb",
    "resnet18": "chapter_convolutional-modern/resnet.ipynb",
    "densenet": "chapter_convolutional-modern/densenet.ipynb",
}


@dataclass(frozen=True)
class BookRun:
    """One executed run of the book: its final test accuracy, where it is stored, and its best epoch.

    ``network`` is a plan key; ``"bn-lenet"`` is the from-scratch batch-norm LeNet, ``"bn-lenet-concise"`` the one
    built from ``nn.BatchNorm2d``. ``edition`` is ``"en-<d2l version>"`` or ``"zh-<d2l-zh version>"``.
    ``variant`` is ``""`` for the network the course builds and ``"max-pooling"`` for the book's earlier one:
    BN-LeNet with max pooling (English builds to 0.16.5 and one 0.17.1 build, d2l-zh to August 2021),
    DenseNet with a global max-pooling head (both editions to January 2022).
    """

    network: str
    test_acc: float
    edition: str
    commit: str
    date: str
    best_test_acc: float | None = None
    best_epoch: int | None = None
    variant: str = ""

    @property
    def repository(self) -> str:
        """The GitHub repository of the build: the English or the Chinese edition's notebooks."""
        return BOOK_REPOSITORIES[self.edition.split("-", 1)[0]]

    @property
    def url(self) -> str:
        """The executed notebook at the commit that holds this run."""
        return f"https://github.com/{self.repository}/blob/{self.commit}/{_BOOK_NOTEBOOKS[self.network]}"

    @property
    def label(self) -> str:
        """Short citation: edition, commit and date, e.g. ``d2l-en 0.16.4, commit 0009bbc (2021-05-17)``."""
        lang, version = self.edition.split("-", 1)
        return f"d2l-{lang} {version}, commit {self.commit[:7]} ({self.date})"


def _parse_book_runs(table: str) -> tuple[BookRun, ...]:
    runs = []
    for line in table.strip().splitlines():
        network, acc, edition, commit, date, best, epoch, variant = line.split()
        runs.append(BookRun(network, float(acc), edition, commit, date, None if best == "-" else float(best),
                            None if epoch == "-" else int(epoch), "" if variant == "-" else variant))  # fmt: skip
    return tuple(runs)


BOOK_RUNS: tuple[BookRun, ...] = _parse_book_runs(_BOOK_RUNS_TABLE)


@dataclass(frozen=True)
class BookSpread:
    """How the book's runs of one network spread: count, range, mean ± sample standard deviation, median."""

    network: str
    count: int
    low: float
    high: float
    mean: float
    sd: float
    median: float
    editions: tuple[str, ...]

    def __str__(self) -> str:
        return (f"{self.mean:.3f} ± {self.sd:.3f} (range {self.low:.3f}–{self.high:.3f}, median {self.median:.3f}, "
                f"{self.count} runs)")  # fmt: skip

    def beyond_noise(self, other: BookSpread) -> bool:
        """Whether the two networks' ranges do not overlap: every run of one beat every run of the other."""
        return self.low > other.high or other.low > self.high


def book_runs(network: str, *, edition: str | None = None, variant: str = "") -> tuple[BookRun, ...]:
    """The book's runs of ``network`` (a plan key), oldest first, of the course's variant unless ``variant``.

    ``edition`` keeps one edition (``"en"`` or ``"zh"``) or one release (``"en-0.17.1"``).
    """
    if network not in _BOOK_NOTEBOOKS:
        raise KeyError(f"no book runs for {network!r}; known networks: {', '.join(_BOOK_NOTEBOOKS)}")
    runs = tuple(
        r for r in BOOK_RUNS
        if r.network == network and r.variant == variant
        and (edition is None or r.edition == edition or r.edition.startswith(edition + "-"))
    )  # fmt: skip
    if not runs:
        raise ValueError(f"no book runs of {network!r} with edition={edition!r}, variant={variant!r}")
    return runs


def book_spread(network: str, *, edition: str | None = None, variant: str = "") -> BookSpread:
    """Count, range, mean ± sd and median of the final test accuracies of :func:`book_runs`."""
    runs = book_runs(network, edition=edition, variant=variant)
    accs = [r.test_acc for r in runs]
    sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
    editions = tuple(dict.fromkeys(r.edition for r in runs))
    return BookSpread(network, len(accs), min(accs), max(accs), statistics.fmean(accs), sd,
                      statistics.median(accs), editions)  # fmt: skip


def _edition_line(runs: tuple[BookRun, ...], lang: str) -> str | None:
    mine = [r for r in runs if r.edition.startswith(lang + "-")]
    if not mine:
        return None
    accs = [r.test_acc for r in mine]
    versions = f"{mine[0].edition.split('-', 1)[1]} to {mine[-1].edition.split('-', 1)[1]}"
    return (f"  d2l-{lang} ({versions}, {mine[0].date} to {mine[-1].date}): {len(mine)} runs, "
            f"{min(accs):.3f}–{max(accs):.3f}, median {statistics.median(accs):.3f}")  # fmt: skip


def format_book_runs(network: str, *, variant: str = "", drop: float = 0.01) -> str:
    """The spread of the book's runs of ``network``, per edition, and how often the last epoch fell below the best.

    A run's last epoch counts as fallen when its final test accuracy is at least ``drop`` below its best epoch's
    (only runs whose build stored the training plot can tell).
    """
    runs = book_runs(network, variant=variant)
    lines = [f"book's runs of {network}{' (' + variant + ')' if variant else ''}: "
             f"{book_spread(network, variant=variant)}"]  # fmt: skip
    lines += [line for lang in ("en", "zh") if (line := _edition_line(runs, lang))]
    curves = [r for r in runs if r.best_test_acc is not None]
    fallen = [r for r in curves if r.best_test_acc - r.test_acc >= drop - 1e-9]
    if curves:
        line = f"  last epoch {drop:.2f} or more below the best epoch: {len(fallen)} of {len(curves)} runs with a curve"
        if fallen:
            worst = max(fallen, key=lambda r: r.best_test_acc - r.test_acc)
            line += (f" (largest: {worst.best_test_acc:.3f} at epoch {worst.best_epoch}, then {worst.test_acc:.3f};"
                     f" {worst.label})")  # fmt: skip
        lines.append(line)
    return "\n".join(lines)


# d2l 1.0 (English, tag v1.0.3) trains with its own Trainer and these settings, PyTorch tab; every chapter gives
# them next to the ``train_ch6`` settings above, which the course trains with. Source: D2L_1_0_SOURCE.
D2L_1_0_SOURCE = "https://github.com/d2l-ai/d2l-en/blob/b2e2ae30898a9d0126a9699ae7e441de3e272715/"
D2L_1_0_PLANS: dict[str, TrainingPlan] = {
    "lenet": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.1),
    "alexnet": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.01, resize=224),
    "vgg": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.01, resize=224),
    "nin": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.05, resize=224),
    "googlenet": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.01, resize=96),
    "bn-lenet": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.1),
    "resnet18": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.01, resize=96),
    "densenet": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.01, resize=96),
    # §8.8 trains only its RegNetX32; it trains no sample of a design space, so "anynet-sample" has no entry.
    "regnetx32": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.05, resize=96),
}


def real_mnist_result(network: str, record: str | Path = REAL_MNIST_RECORD) -> dict:
    """What ``network``'s ``"cpu-quick"`` plan reached when trained once on real MNIST, with where and when.

    Returns the record's entry for the network (per-epoch ``train_loss``, ``train_acc``, ``test_acc``,
    ``seconds``; ``examples_per_sec``, ``minutes``, load averages, the plan, and the run's ``date``,
    ``machine`` and ``torch``), so a chapter can quote the result with its conditions. The record is written by
    ``benchmarks/real_mnist_plans.py``; a network it did not run raises a ``KeyError`` saying so.
    """
    if network not in TRAINING_PLANS:
        raise KeyError(f"no training plan for {network!r}; known networks: {', '.join(sorted(TRAINING_PLANS))}")
    path = Path(record)
    if not path.exists():
        raise FileNotFoundError(f"no real-MNIST record at {path}; run benchmarks/real_mnist_plans.py to write it")
    data = json.loads(path.read_text(encoding="utf-8"))
    if network not in data.get("results", {}):
        raise KeyError(
            f"{path.name} has no run of {network!r} (it ran: {', '.join(data.get('results', {})) or 'none'}); "
            f"run benchmarks/real_mnist_plans.py --networks {network}"
        )
    shared = {key: data[key] for key in ("date", "machine", "torch") if key in data}
    return {**shared, **data["results"][network]}


def format_real_mnist_result(network: str, record: str | Path = REAL_MNIST_RECORD) -> str:
    """One line for a chapter: what ``network``'s CPU plan reached on real MNIST, per epoch, with its conditions.

    A different data set from the book's Fashion-MNIST, trained by the same code: quoted next to the book's
    result, never mixed with it. Without the record (an installation without the course's ``benchmarks/``) the
    line says where to find it instead.
    """
    if network not in TRAINING_PLANS:
        raise KeyError(f"no training plan for {network!r}; known networks: {', '.join(sorted(TRAINING_PLANS))}")
    try:
        e = real_mnist_result(network, record)
    except FileNotFoundError:
        return f"our {network} plan on real MNIST: no record here ({Path(record).name} is in the course repository)"
    except KeyError:
        rerun = f"python benchmarks/real_mnist_plans.py --networks {network}"
        return f"our {network} plan on real MNIST: not run yet ({rerun})"
    p = e["plan"]
    images = f"{p['max_train_examples']:,}" if p["max_train_examples"] else "60,000"
    accs = " → ".join(f"{a:.3f}" for a in e["test_acc"])
    where = f"{e['minutes']:.1f} min, {e['date']}, {e['machine']}, {e['threads']} thread(s)"
    if e.get("load_average_before"):
        where += f", load {e['load_average_before'][0]:.1f}"
    return (
        f"our {network} plan on real MNIST (one run, seed {e['seed']}): test accuracy {accs}\n"
        f"  {images} images × {p['num_epochs']} epochs at {p['resize'] or 28}×{p['resize'] or 28}, "
        f"batch {p['batch_size']}, lr {p['lr']}; {where}"
    )


def real_mnist_accuracies(record: str | Path = REAL_MNIST_RECORD) -> dict[str, float]:
    """The final test accuracy of each CPU plan the real-MNIST record holds, by network; ``{}`` without a record."""
    path = Path(record)
    if not path.exists():
        return {}
    results = json.loads(path.read_text(encoding="utf-8")).get("results", {})
    return {network: entry["test_acc"][-1] for network, entry in results.items() if entry.get("test_acc")}


# Designing CNNs (d2l 1.0 §8.8). The book trains no sample of networks, only its RegNetX32 (lr 0.05, batch 128,
# 96×96, 10 epochs, the settings of its §8.8 Trainer call). "anynet-sample" is how the course trains every net of a
# design-space sample: real MNIST at its own 28×28, the first 10,000 training images for one epoch, the first
# 5,000 test images, SGD with lr 0.2 and batch 64 (the best of three settings tried on three sampled nets); its
# "book" plan is the same recipe at the book's sizes (96×96, all 60,000 images, 10 epochs) for a GPU.
# Measured (2026-12-01, 2-core Intel Xeon, torch 2.14.1, one thread, load average 8.7-14 from other jobs): the
# chapter's 50 sampled networks (widths 8-64, 3 stages, 28×28) trained and tested in 23.4 minutes, 9-103 s each;
# the whole chapter, with the RegNetX-like net's three seeds and the exercises' eight more nets, in 31 minutes.
# Lightly loaded (load 5-6) three sampled nets took 7-16 s each.
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
