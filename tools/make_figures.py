"""Regenerate the course's architecture figures in img/ from the model definitions in d2l_utils.

    python tools/make_figures.py            # write img/*.png
    python tools/make_figures.py --check    # draw every figure into a temporary folder; exit 1, naming the
                                            # files, if one in img/ is missing or differs in bytes

The pictures are drawn from the course's models (``du.lenet()``, ``du.alexnet()``, ...) by the shape probe,
PyTorch's FLOP counter and tools/figures/, never by hand, so they cannot drift from the code. No data and no
randomness are involved, the style is matplotlib's defaults (a user's matplotlibrc is ignored; the font is
the DejaVu Sans matplotlib ships), and the PNGs carry no version stamp: the same code and matplotlib give the
same bytes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("agg")
matplotlib.rcdefaults()  # the same style whatever matplotlibrc the machine has

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from torch import nn  # noqa: E402

import d2l_utils as du  # noqa: E402
from tools.figures import concept_figures as cf  # noqa: E402
from tools.figures.architecture import plot_architecture, save_figure  # noqa: E402
from tools.figures.cost_figures import plot_comparison, plot_parts  # noqa: E402
from tools.figures.costs import plot_layer_costs  # noqa: E402

IMG = Path(__file__).resolve().parents[1] / "img"
LENET_INPUT = (1, 1, 28, 28)
ALEXNET_INPUT = (1, 1, 224, 224)


def lenet_figure() -> Figure:
    return plot_architecture(du.lenet(), LENET_INPUT, title="LeNet-5 (d2l), 61,706 parameters")


def alexnet_figure() -> Figure:
    return plot_architecture(du.alexnet(), ALEXNET_INPUT, title="AlexNet (d2l, one channel), 46,764,746 parameters")


def costs_figure() -> Figure:
    return plot_layer_costs(
        {
            "LeNet, one 1×28×28 image": du.layer_costs(du.lenet(), LENET_INPUT),
            "AlexNet, one 1×224×224 image": du.layer_costs(du.alexnet(), ALEXNET_INPUT),
        }
    )


def vgg_costs_figure() -> Figure:
    return plot_layer_costs(
        {
            "AlexNet, one 1×224×224 image": du.layer_costs(du.alexnet(), ALEXNET_INPUT),
            "VGG-11, one 1×224×224 image": du.layer_costs(du.vgg(), VGG_INPUT),
        }
    )


def nin_costs_figure() -> Figure:
    return plot_layer_costs(
        {
            "AlexNet, one 1×224×224 image": du.layer_costs(du.alexnet(), ALEXNET_INPUT),
            "NiN, one 1×224×224 image": du.layer_costs(du.nin(), NIN_INPUT),
        }
    )


VGG_INPUT = NIN_INPUT = (1, 1, 224, 224)
INCEPTION_INPUT = (1, 192, 12, 12)  # GoogLeNet's first Inception block at the book's 96×96 resolution


def vgg_figure() -> Figure:
    return plot_architecture(du.vgg(), VGG_INPUT, title="VGG-11 (d2l, one channel), 128,806,154 parameters")


def nin_figure() -> Figure:
    return plot_architecture(du.nin(), NIN_INPUT, title="NiN (d2l, one channel), 1,992,166 parameters")


def branch_channels(branch) -> int:
    """Channels a branch outputs: those of its last convolution."""
    return [layer for layer in branch if isinstance(layer, nn.Conv2d)][-1].out_channels


def inception_figure() -> Figure:
    """GoogLeNet's first Inception block: its four branches in a 2×2 grid, each drawn from the module (a grid, not
    one row, keeps the picture within a notebook's width at readable text size)."""
    block = du.Inception(192, 64, (96, 128), (16, 32), 32)
    fig, axes = plt.subplots(2, 2, figsize=(9.2, 6.4))
    axes = axes.ravel()
    for number, (ax, branch) in enumerate(zip(axes, block.branches, strict=True), start=1):
        plot_architecture(branch, INCEPTION_INPUT, ax=ax, title=f"branch {number}")
    top = max(ax.get_ylim()[1] for ax in axes)
    for ax in axes:  # one scale for all four columns, tops aligned
        ax.set_ylim(ax.get_ylim()[1] - top, ax.get_ylim()[1])
    widths = " + ".join(str(branch_channels(branch)) for branch in block.branches)
    fig.suptitle(f"Inception(192, 64, (96, 128), (16, 32), 32) on a 192×12×12 input:\nthe branch outputs are "
                 f"concatenated along the channels, {widths} = {block.out_channels}", fontsize=10)  # fmt: skip
    fig.tight_layout()
    return fig


def bn_lenet_figure() -> Figure:
    return plot_architecture(du.bn_lenet(), LENET_INPUT, title="LeNet with batch norm (d2l), 44,878 parameters")


RESNET18_STAGES = ("stem", "stage", "stage", "stage", "stage", "pool", "flatten", "fc")
DENSENET_STAGES = ("stem", "dense", "trans", "dense", "trans", "dense", "trans", "dense", "bn", "relu", "pool",
                   "flatten", "fc")  # fmt: skip


def stage_costs_figure() -> Figure:
    return plot_layer_costs(
        {
            "ResNet-18, one 1×96×96 image, per stage": du.stage_costs(
                du.resnet18(), (1, 1, 96, 96), names=RESNET18_STAGES
            ),
            "DenseNet, one 1×96×96 image, per stage": du.stage_costs(
                du.densenet(), (1, 1, 96, 96), names=DENSENET_STAGES
            ),
        }
    )


def vgg_blocks_figure() -> Figure:
    return cf.plot_stages(du.vgg(), VGG_INPUT, groups=[1, 1, 1, 1, 1, 8],
                          spans={"five VGG blocks": (0, 5), "dense part": (5, 6)},
                          title="VGG-11: five blocks of 3×3 convolutions and a 2×2 max pool")  # fmt: skip


def nin_vs_vgg_figure() -> Figure:
    return cf.plot_stage_rows([
        dict(net=du.vgg(), input_shape=VGG_INPUT, groups=[1, 1, 1, 1, 1, 8],
             title="VGG-11: blocks of 3×3 convolutions and a max pool, then three dense layers"),
        dict(net=du.nin(), input_shape=NIN_INPUT, groups=[2, 2, 2, 2, 2],
             title="NiN: blocks of one convolution and two 1×1 convolutions, then global average pooling"),
    ])  # fmt: skip


def googlenet_figure() -> Figure:
    return cf.plot_stages(du.googlenet(), (1, 1, 96, 96), groups=[1, 1, 1, 1, 1, 1],
                          spans={"stem": (0, 2), "body": (2, 5), "head": (5, 6)},
                          title="GoogLeNet at the book's 96×96: stem, body of nine Inception blocks, head")  # fmt: skip


def googlenet_parts_figure() -> Figure:
    return plot_parts(du.googlenet_parts(du.googlenet()), (1, 1, 96, 96))


def which_cnn_figure() -> Figure:
    return plot_comparison(du.compare_networks())


def which_cnn_design_figure() -> Figure:
    return plot_comparison(du.compare_networks((*du.COURSE_NETWORKS, *du.DESIGN_NETWORKS)))


FIGURES: dict[str, Callable[[], Figure]] = {
    "lenet_architecture.png": lenet_figure,
    "alexnet_architecture.png": alexnet_figure,
    "alexnet_vs_lenet_costs.png": costs_figure,
    "alexnet_vs_vgg11_costs.png": vgg_costs_figure,
    "alexnet_vs_nin_costs.png": nin_costs_figure,
    "vgg11_architecture.png": vgg_figure,
    "nin_architecture.png": nin_figure,
    "inception_block.png": inception_figure,
    "bn_lenet_architecture.png": bn_lenet_figure,
    "resnet_densenet_stage_costs.png": stage_costs_figure,
    "vgg_blocks.png": vgg_blocks_figure,
    "nin_vs_vgg.png": nin_vs_vgg_figure,
    "googlenet_stages.png": googlenet_figure,
    "googlenet_part_costs.png": googlenet_parts_figure,
    "residual_blocks.png": cf.plot_residual_block,
    "function_classes.png": cf.plot_function_classes,
    "dense_block.png": cf.plot_dense_block,
    "normalization_axes.png": cf.plot_normalization_axes,
    "which_cnn.png": which_cnn_figure,
    "which_cnn_design_networks.png": which_cnn_design_figure,
}


# Wider PNGs are shrunk to the notebook's column, where their text would be too small to read.
MAX_WIDTH_PX = 1400
DPI = 150


def fitting_dpi(fig: Figure) -> int:
    """150 dpi, or less where the figure's tight bounding box would come out wider than MAX_WIDTH_PX."""
    width_inches = fig.get_tightbbox(fig.canvas.get_renderer()).width + 2 * plt.rcParams["savefig.pad_inches"]
    return min(DPI, int(MAX_WIDTH_PX / width_inches))


def render(make: Callable[[], Figure], path: Path) -> None:
    """Draw one figure and write it to ``path`` as a PNG at most MAX_WIDTH_PX wide."""
    fig = make()
    save_figure(fig, path, dpi=fitting_dpi(fig))
    plt.close(fig)


def stale_figures(folder: Path) -> list[str]:
    """Names of the figures in img/ that are missing or differ in bytes from those just drawn into ``folder``."""
    return [name for name in FIGURES
            if not (IMG / name).exists() or (IMG / name).read_bytes() != (folder / name).read_bytes()]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--check", action="store_true", help="draw into a temporary folder and compare with img/ instead of writing"
    )
    args = parser.parse_args()
    if not args.check:
        IMG.mkdir(exist_ok=True)
        for name, make in FIGURES.items():
            render(make, IMG / name)
            print(f"wrote img/{name}")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        for name, make in FIGURES.items():
            render(make, Path(folder) / name)
        stale = stale_figures(Path(folder))
    if stale:
        print("out of date in img/ (run python tools/make_figures.py and commit the result): " + ", ".join(stale))
        return 1
    print(f"all {len(FIGURES)} figures in img/ match what the code draws")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
