"""d2l_utils: the small, tested helpers the course notebooks share.

One home per helper. The names follow *Dive into Deep Learning* (``load_data_fashion_mnist``, ``train_ch6``,
``evaluate_accuracy_gpu``, ``try_gpu``, ``layer_summary``) so the book's code reads the same. Each module lists
its public names in ``__all__``; the ones a notebook needs are also exported here, as ``du.<name>``.
"""

from .architecture import plot_architecture, save_figure
from .checkpoint import atomic_write
from .compare import (
    COURSE_NETWORKS,
    BookResult,
    NetworkRow,
    NetworkSpec,
    activation_memory,
    compare_networks,
    format_comparison,
    load_speeds,
    measure_speeds,
    plot_comparison,
    save_speeds,
    stage_costs,
)
from .config import DATA_DIR_ENV, SMOKE_ENV, SYNTHETIC_ENV, data_dir, smoke_mode, synthetic_mode
from .data import (
    FASHION_MNIST,
    MNIST,
    TEXT_LABELS,
    DataSetInfo,
    DataSource,
    DataUnavailableError,
    InMemoryBatches,
    data_used,
    ensure_fashion_mnist,
    ensure_mnist,
    get_fashion_mnist_labels,
    get_mnist_labels,
    load_data_fashion_mnist,
    load_data_mnist,
)
from .devices import DeviceNotAvailableError, cpu, num_gpus, resolve_device, try_all_gpus, try_gpu
from .evaluation import confusion_matrix, evaluate_accuracy_gpu, per_class_accuracy
from .explorer import ExplorerSettings, convolution_explorer
from .lenet5 import (
    PAPER_STEP_SIZES,
    TABLE_I,
    LayerCount,
    LeNet5Loss,
    SeedRun,
    bitmap_codes,
    format_ablation,
    format_layer_counts,
    layer_counts,
    lenet5,
    mean_error_line,
    random_codes,
    run_seeds,
    squash,
    step_schedule,
    train_lenet5,
)
from .matrices import corr2d, show_matrix
from .metrics import Accumulator, EpochMetrics, Timer, accuracy
from .models import (
    VGG11_CONV_ARCH,
    BatchNorm,
    DenseBlock,
    Inception,
    Residual,
    alexnet,
    batch_norm,
    bn_lenet,
    conv_block,
    densenet,
    googlenet,
    lenet,
    narrow_conv_arch,
    nin,
    nin_block,
    resnet18,
    resnet_block,
    transition_block,
    vgg,
    vgg_block,
)
from .modules import eval_mode, leaf_modules, module_device
from .plans import TRAINING_PLANS, TrainingPlan, choose_plan
from .plotting import TrainingPlot, plot_confusion_matrix, set_figsize, show_images
from .profiling import (
    LayerCost,
    count_flops,
    format_cost_table,
    layer_costs,
    measure_training_speed,
    plot_layer_costs,
)
from .receptive_field import (
    FieldRow,
    format_receptive_fields,
    gradient_receptive_field,
    plot_receptive_field,
    receptive_fields,
)
from .seeding import seed_everything
from .shapes import LayerRow, ShapeMismatchError, check_input_fits, conv_output_size, layer_summary, output_shape
from .speed import BOOK_SPEED, Speed, choose_speed
from .training import (
    TrainHistory,
    TrainingDivergedError,
    init_cnn_weights,
    save_checkpoint,
    train_ch6,
    train_epoch_ch6,
)

__version__ = "0.1.0"

__all__ = [
    "DATA_DIR_ENV", "SMOKE_ENV", "SYNTHETIC_ENV", "TEXT_LABELS", "Accumulator", "DataUnavailableError",
    "DeviceNotAvailableError", "InMemoryBatches", "LayerRow", "ShapeMismatchError", "Timer", "TrainHistory",
    "TrainingDivergedError", "TrainingPlot", "accuracy", "alexnet", "check_input_fits", "confusion_matrix",
    "conv_output_size", "cpu", "data_dir", "ensure_fashion_mnist", "evaluate_accuracy_gpu",
    "get_fashion_mnist_labels", "init_cnn_weights", "layer_summary", "lenet", "load_data_fashion_mnist",
    "num_gpus", "output_shape", "per_class_accuracy", "plot_confusion_matrix", "resolve_device",
    "save_checkpoint", "seed_everything", "set_figsize", "show_images", "smoke_mode", "synthetic_mode",
    "train_ch6", "try_all_gpus", "try_gpu",
    "LayerCost", "count_flops", "format_cost_table", "layer_costs", "measure_training_speed", "plot_architecture",
    "plot_layer_costs", "save_figure",
    "TRAINING_PLANS", "TrainingPlan", "choose_plan",
    "VGG11_CONV_ARCH", "Inception", "googlenet", "narrow_conv_arch", "nin", "nin_block", "vgg", "vgg_block",
    "FieldRow", "format_receptive_fields", "gradient_receptive_field", "plot_receptive_field", "receptive_fields",
    "ExplorerSettings", "convolution_explorer", "corr2d", "show_matrix",
    "BatchNorm", "DenseBlock", "Residual", "batch_norm", "bn_lenet", "conv_block", "densenet", "resnet18",
    "resnet_block", "transition_block",
    "BOOK_SPEED", "EpochMetrics", "Speed", "atomic_write", "choose_speed", "eval_mode", "leaf_modules",
    "module_device", "train_epoch_ch6",
    "COURSE_NETWORKS", "BookResult", "NetworkRow", "NetworkSpec", "activation_memory", "compare_networks",
    "format_comparison", "load_speeds", "measure_speeds", "plot_comparison", "save_speeds",
    "stage_costs",
    "PAPER_STEP_SIZES", "TABLE_I", "LayerCount", "LeNet5Loss", "SeedRun", "bitmap_codes", "format_ablation",
    "format_layer_counts", "layer_counts", "lenet5", "mean_error_line", "random_codes", "run_seeds", "squash",
    "step_schedule", "train_lenet5",
    "FASHION_MNIST", "MNIST", "DataSetInfo", "DataSource", "data_used", "ensure_mnist", "get_mnist_labels",
    "load_data_mnist",
]  # fmt: skip
