"""d2l_utils: the tested helpers the course notebooks share, under the book's names (``import d2l_utils as du``).

``training.py`` holds the book's loop in one file; beside it one module per topic, and ``guard_rails/``, which catches
learners' mistakes before they cost work (a first reading can skip it). Exported are the names the notebooks use,
grouped by chapter, and the book's own, so ``import d2l_utils as d2l`` runs the chapter code of d2l-en 0.17, d2l-zh and
d2l-en 1.0 (``d2l.train_ch6``, ``d2l.Animator``, ``d2l.Trainer``, ...); everything else is imported from its module."""

# Set-up of every notebook: modes, seeds, devices, the folded solutions' runner.
from .config import seed_everything, smoke_mode, synthetic_mode
from .devices import (
    BOOK_SPEED,
    DeviceNotAvailableError,
    Speed,
    choose_speed,
    cpu,
    num_gpus,
    try_all_gpus,
    try_gpu,
)

# isort: split
# 01-05 Convolutions, padding and stride, channels, pooling.
from .explorer import ExplorerSettings, convolution_explorer, corr2d, show_matrix
from .receptive_field import format_receptive_fields, gradient_receptive_field, plot_receptive_field, receptive_fields
from .shapes import (
    ShapeMismatchError,
    conv_output_size,
    eval_mode,
    layer_summary,
    leaf_modules,
    module_device,
    output_shape,
)

# isort: split
# 06 LeNet: data, the training loop, its metrics and plots; where the net errs.
from .data import (
    TEXT_LABELS,
    DataUnavailableError,
    get_fashion_mnist_labels,
    get_mnist_labels,
    load_data_fashion_mnist,
    load_data_mnist,
)
from .evaluation import confusion_matrix, misclassified, per_class_accuracy
from .metrics import Accumulator, Timer, accuracy, size
from .models import lenet
from .plans import plot_against_book
from .plotting import Animator, plot_confusion_matrix, set_figsize, show_images
from .profiling import data_label, provenance
from .training import (
    TrainingDivergedError,
    evaluate_accuracy_gpu,
    init_cnn_weights,
    train_ch6,
    train_epoch_ch6,
    train_step,
)

# isort: split
# d2l 1.0's API (Module, Classifier, Trainer, FashionMNIST and MNIST) and the tensor shortcuts.
from .book_api import *  # noqa: F403 (the book's names, listed in book_api.__all__)

# isort: split
# 06b LeNet-5 as the 1998 paper built it.
from .lenet5 import (
    SDLM,
    LeNet5Loss,
    bitmap_codes,
    curvature_diagonal,
    format_ablation,
    format_layer_counts,
    layer_counts,
    lenet5,
    random_codes,
    run_seeds,
    step_schedule,
    train_lenet5,
)

# isort: split
# 07 AlexNet: what big networks cost, and how to train them on a CPU.
from .models import alexnet
from .plans import TRAINING_PLANS, choose_plan, format_real_mnist_result
from .profiling import count_flops, format_cost_table, layer_costs, measure_training_speed

# isort: split
# 08-13 Modern CNNs: VGG, NiN, GoogLeNet, batch norm, ResNet, DenseNet.
from .models import (
    VGG11_CONV_ARCH,
    BatchNorm,
    DenseBlock,
    Inception,
    Residual,
    ResNeXtBlock,
    ResNeXtUnit,
    batch_norm,
    bn_lenet,
    branch_ratio,
    conv_block,
    conv_gradient_norms,
    densenet,
    googlenet,
    googlenet_parts,
    layer_norm,
    narrow_conv_arch,
    nin,
    nin_block,
    resnet18,
    resnet_block,
    transition_block,
    vgg,
    vgg_block,
)
from .plans import book_spread, format_book_runs

# isort: split
# 13b Designing CNNs: the AnyNet design space, its EDFs, RegNetX.
from .anynet import (
    REGNETX_MNIST_ARCH,
    DesignSpace,
    anynet_model,
    anynet_stem,
    anynetx_spaces,
    edf,
    evaluate_sample,
    format_arch,
    network_cost,
    plot_edfs,
    regnetx32,
    regnetx_stages,
)

# isort: split
# 14 Which CNN?
from .compare import COURSE_NETWORKS, DESIGN_NETWORKS, NetworkSpec, compare_networks, format_comparison
from .profiling import activation_memory, load_speeds, machine_description, measure_speeds, stage_costs

__version__ = "0.1.0"

# Everything imported above, and nothing else: the list is computed, never kept by hand.
__all__ = sorted(name for name, value in dict(globals()).items() if not name.startswith("_") and not
                 getattr(value, "__name__", "").startswith(__name__ + "."))  # fmt: skip
