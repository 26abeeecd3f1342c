"""d2l 1.0's training API (``d2l.Classifier``, ``d2l.Trainer``, ...) and the tensor shortcuts, so the book's
sections run with ``import d2l_utils as d2l`` on the course's loaders, devices, speed settings and guards."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.nn import functional as F

from . import config
from . import data as datasets
from .devices import autocast, check_speed, choose_speed, cpu, resolve_device, try_all_gpus
from .guard_rails.checks import is_positive_int
from .guard_rails.training_guards import DivergenceGuard
from .plotting import LiveFigure
from .shapes import check_input_fits, eval_mode, module_device
from .training import grad_scaler, to_layout

# --- the book's tensor shortcuts: framework-neutral names its code calls, each a torch function or tensor method ---
_TORCH = dict.fromkeys("ones zeros ones_like zeros_like tensor arange linspace eye meshgrid rand randn normal matmul "
                       "stack abs exp log sin cos sinh cosh tanh sigmoid int32 int64 float32".split())  # fmt: skip
_TORCH |= {"concat": "cat", "batch_matmul": "bmm"}
_METHODS = dict(reshape="reshape", reduce_sum="sum", reduce_mean="mean", argmax="argmax", astype="type", transpose="t",
                to="to", expand_dims="unsqueeze", swapaxes="swapaxes", repeat="repeat")  # fmt: skip


def _method(name: str):
    """The function form of tensor method ``name``: ``reshape(x, shape)`` calls ``x.reshape(shape)``."""
    return lambda x, *args, **kwargs: getattr(x, name)(*args, **kwargs)


globals().update({name: getattr(torch, attr or name) for name, attr in _TORCH.items()})
globals().update({name: _method(method) for name, method in _METHODS.items()})
numpy = lambda x, *args, **kwargs: x.detach().cpu().numpy(*args, **kwargs)
gpu = lambda i=0: resolve_device(f"cuda:{i}")  # the i-th CUDA GPU; a clear error where there is none
SGD = torch.optim.SGD  # the book's minibatch SGD(params, lr): the same arguments and update


def add_to_class(Class):
    """Decorator: ``@add_to_class(C)`` over a function makes it a method of class ``C`` (the book's cell by cell)."""
    return lambda method: setattr(Class, method.__name__, method)


def init_cnn(module: nn.Module) -> None:
    """Xavier-uniform weights for a ``Linear`` or ``Conv2d`` layer; pass it to ``net.apply`` or ``apply_init``."""
    if type(module) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(module.weight)


class HyperParameters:
    """The book's base class whose ``save_hyperparameters()`` turns the caller's arguments into attributes."""

    def save_hyperparameters(self, ignore=()):
        """Store the calling ``__init__``'s local variables (its arguments) in ``self.hparams`` and as attributes."""
        caller = inspect.currentframe().f_back.f_locals
        self.hparams = {k: v for k, v in caller.items() if k != "self" and k not in ignore and not k.startswith("_")}
        for name, value in self.hparams.items():
            setattr(self, name, value)


class ProgressBoard(HyperParameters):
    """The book's plot: ``draw(x, y, label, every_n)`` adds the mean of every ``every_n`` points to a curve,
    in one figure updated in place (shown once in smoke mode)."""

    def __init__(self, xlabel=None, ylabel=None, xlim=None, ylim=None, xscale="linear", yscale="linear",  # noqa: PLR0913
                 ls=("-", "--", "-.", ":"), colors=("C0", "C1", "C2", "C3"), fig=None, axes=None, figsize=(3.5, 2.5),
                 display=True):  # fmt: skip
        self.save_hyperparameters()
        self.raw_points, self.data, self.lines, self.screen = {}, {}, {}, None

    def draw(self, x, y, label, every_n=1):
        """Add point ``(x, y)`` to curve ``label``; every ``every_n`` points, plot their mean."""
        points = self.raw_points.setdefault(label, [])
        points.append((x, y))
        if len(points) < every_n:
            return
        xs, ys = zip(*points, strict=True)
        self.data.setdefault(label, []).append((sum(xs) / len(xs), float(sum(ys) / len(ys))))  # one device read
        points.clear()
        if not self.display:
            return
        if self.axes is None:
            self.fig, self.axes = plt.subplots(figsize=self.figsize) if self.fig is None else (self.fig, self.fig.gca())
            self.axes.set(xlabel=self.xlabel, ylabel=self.ylabel, xscale=self.xscale, yscale=self.yscale)
            self.axes.set(**{k: v for k, v in (("xlim", self.xlim), ("ylim", self.ylim)) if v})  # the rest autoscales
            self.axes.grid(True)
            self.screen = LiveFigure(self.fig)
        if label not in self.lines:
            k = len(self.lines) % len(self.ls)
            self.lines[label] = self.axes.plot([], [], linestyle=self.ls[k], color=self.colors[k], label=label)[0]
            self.axes.legend()
        self.lines[label].set_data(*zip(*self.data[label], strict=True))
        self.axes.relim()
        self.axes.autoscale_view()
        if self.screen is not None:  # None when the caller passed its own axes
            self.screen.refresh()


class Module(nn.Module, HyperParameters):
    """The book's base class of models: ``net``, ``loss`` and the hooks the :class:`Trainer` calls."""

    def __init__(self, plot_train_per_epoch=2, plot_valid_per_epoch=1):
        super().__init__()
        self.save_hyperparameters()
        self.board = ProgressBoard()

    def loss(self, y_hat, y):
        raise NotImplementedError(f"{type(self).__name__} needs a loss(y_hat, y) method (a Classifier has one)")

    def forward(self, X):
        if not hasattr(self, "net"):
            raise AttributeError(f"{type(self).__name__} has no self.net: set it in __init__ or define forward(X)")
        return self.net(X)

    def plot(self, key, value, train):
        """Send one value to the board: training points are averaged to ``plot_train_per_epoch`` per epoch."""
        if not hasattr(self, "trainer"):
            raise RuntimeError("plot() needs a trainer: train the model with d2l.Trainer(...).fit(model, data)")
        self.board.xlabel, trainer = "epoch", self.trainer
        if train:
            x = trainer.train_batch_idx / trainer.num_train_batches
            n = trainer.num_train_batches / self.plot_train_per_epoch
        else:
            x, n = trainer.epoch + 1, trainer.num_val_batches / self.plot_valid_per_epoch
        value = value.detach() if isinstance(value, torch.Tensor) else value  # read when averaged, not every step
        self.board.draw(x, value, ("train_" if train else "val_") + key, every_n=max(1, int(n)))

    def training_step(self, batch):
        loss = self.loss(self(*batch[:-1]), batch[-1])
        self.plot("loss", loss, train=True)
        return loss

    def validation_step(self, batch):
        self.plot("loss", self.loss(self(*batch[:-1]), batch[-1]), train=False)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)

    def apply_init(self, inputs, init=None):
        """Run ``inputs`` through the net once (lazy layers get their shapes), then ``self.net.apply(init)``."""
        self.forward(*inputs)
        if init is not None:
            self.net.apply(init)


class Classifier(Module):
    """The book's base class of classifiers: cross-entropy loss, and validation plots loss and accuracy."""

    def validation_step(self, batch):
        Y_hat = self(*batch[:-1])
        self.plot("loss", self.loss(Y_hat, batch[-1]), train=False)
        self.plot("acc", self.accuracy(Y_hat, batch[-1]), train=False)

    def accuracy(self, Y_hat, Y, averaged=True):
        """The fraction of correct predictions (``averaged=False``: 1.0 or 0.0 per example)."""
        correct = (Y_hat.reshape(-1, Y_hat.shape[-1]).argmax(dim=1).to(Y.dtype) == Y.reshape(-1)).float()
        return correct.mean() if averaged else correct

    def loss(self, Y_hat, Y, averaged=True):
        return F.cross_entropy(Y_hat.reshape(-1, Y_hat.shape[-1]), Y.reshape(-1),
                               reduction="mean" if averaged else "none")  # fmt: skip

    def layer_summary(self, X_shape):
        """Print each top-level layer's output shape for a random input of ``X_shape`` (eval mode, no gradients)."""
        X = torch.randn(*X_shape, device=module_device(self))
        with eval_mode(self), torch.no_grad():
            for layer in self.net:
                X = layer(X)
                print(layer.__class__.__name__, "output shape:\t", X.shape)


class DataModule(HyperParameters):
    """The book's base class of data: ``get_dataloader(train)`` and the two loaders the :class:`Trainer` asks for."""

    def __init__(self, root=None, num_workers=None):
        self.save_hyperparameters()
        self.root = config.data_dir() if root is None else root
        self.num_workers = datasets.default_num_workers() if num_workers is None else num_workers

    def get_dataloader(self, train):
        raise NotImplementedError(f"{type(self).__name__} needs a get_dataloader(train) method")

    def train_dataloader(self):
        return self.get_dataloader(train=True)

    def val_dataloader(self):
        return self.get_dataloader(train=False)

    def get_tensorloader(self, tensors, train, indices=slice(0, None)):
        """Minibatches of ``self.batch_size`` over rows ``indices`` of ``tensors``, shuffled for training."""
        dataset = torch.utils.data.TensorDataset(*(t[indices] for t in tensors))
        return torch.utils.data.DataLoader(dataset, self.batch_size, shuffle=train)


class FashionMNIST(DataModule):
    """The book's Fashion-MNIST module on ``du.load_data_fashion_mnist`` (:class:`MNIST`: the same on MNIST),
    on the CPU until a :class:`Trainer` moves it."""

    def __init__(self, batch_size=64, resize=(28, 28), *, dataset=datasets.FASHION_MNIST):
        super().__init__()
        self.save_hyperparameters()
        load = datasets.load_data_mnist if dataset is datasets.MNIST else datasets.load_data_fashion_mnist
        self.train_iter, self.val_iter = load(batch_size, resize, data_dir=self.root, device="cpu")

    def get_dataloader(self, train):
        return self.train_iter if train else self.val_iter


class MNIST(FashionMNIST):
    """d2l 1.0's data module over MNIST's verified digits: ``d2l.MNIST(batch_size=128)``."""

    def __init__(self, batch_size=64, resize=(28, 28)):
        super().__init__(batch_size, resize, dataset=datasets.MNIST)


class Trainer(HyperParameters):
    """The book's trainer: ``fit(model, data)`` runs ``max_epochs`` of training and validation steps on
    ``du.try_gpu()`` at ``du.choose_speed``'s speed; a diverged loss raises ``TrainingDivergedError``."""

    def __init__(self, max_epochs, num_gpus=0, gradient_clip_val=0, *, speed=None):
        self.save_hyperparameters(ignore=("speed",))
        if not is_positive_int(max_epochs) or not isinstance(num_gpus, int) or num_gpus < 0:
            raise ValueError(f"Trainer needs max_epochs >= 1 and num_gpus >= 0 (whole numbers), got {max_epochs!r}, "
                             f"{num_gpus!r}")  # fmt: skip
        self.gpus = [d for d in try_all_gpus() if d.type != "cpu"][:num_gpus]
        if num_gpus and not self.gpus:
            config.banner(f"Trainer(num_gpus={num_gpus}): no GPU here, training on the CPU.")
        self.device = self.gpus[0] if self.gpus else cpu()
        self.speed = choose_speed(self.device) if speed is None else check_speed(speed)

    def prepare_data(self, data):
        self.train_dataloader, self.val_dataloader = data.train_dataloader(), data.val_dataloader()
        for loader in (self.train_dataloader, self.val_dataloader):
            if isinstance(loader, datasets.InMemoryBatches):
                loader.to(self.device)  # batches are then made where training runs
        self.num_train_batches = len(self.train_dataloader)
        if not self.num_train_batches:
            raise ValueError(f"{type(data).__name__}.train_dataloader() yields no batches: check its data's size")
        self.num_val_batches = len(self.val_dataloader) if self.val_dataloader is not None else 0

    def prepare_model(self, model):
        model.trainer, model.board.xlim, self.model = self, [0, self.max_epochs], model
        model.to(self.device)
        if any(isinstance(p, nn.parameter.UninitializedParameter) for p in model.parameters()):
            X = self.prepare_batch(next(iter(self.train_dataloader)))[0]
            check_input_fits(model, X[:2])  # lazy layers get their shapes; a layer the data misses is named
        if self.speed.channels_last:
            model.to(memory_format=torch.channels_last)

    def prepare_batch(self, batch):
        return [to_layout(a.to(self.device, non_blocking=True), self.speed) for a in batch]

    def fit(self, model, data):
        self.prepare_data(data)
        self.prepare_model(model)
        self.optim = model.configure_optimizers()
        self.epoch = self.train_batch_idx = self.val_batch_idx = 0
        self.scaler = grad_scaler(self.device, self.speed)
        self.finished = SimpleNamespace(epochs=[])  # what the divergence guard reports as kept
        self.guard = DivergenceGuard(model, float(getattr(model, "lr", "nan")), self.finished)
        for epoch in range(config.smoke_epochs(self.max_epochs)):
            self.epoch = epoch
            self.fit_epoch()
            self.finished.epochs.append(self.epoch + 1)
            self.guard.epoch_done()

    def fit_epoch(self):
        self.model.train()
        for step, batch in enumerate(self.train_dataloader):
            with autocast(self.device, self.speed.autocast):
                loss = self.model.training_step(self.prepare_batch(batch))
            self.optim.zero_grad()
            self.scaler.scale(loss).backward()
            if self.gradient_clip_val > 0:
                self.scaler.unscale_(self.optim)
                self.clip_gradients(self.gradient_clip_val, self.model)
            self.scaler.step(self.optim)
            self.scaler.update()
            self.train_batch_idx += 1
            if self.device.type == "cpu" or (step + 1) % max(1, self.num_train_batches // 5) == 0:
                self.guard.check_loss(float(loss.detach()), f"epoch {self.epoch + 1}, step {step + 1}")  # a GPU read
        self.guard.check_epoch(float(loss.detach()), f"epoch {self.epoch + 1}")
        if self.val_dataloader is not None:
            self.model.eval()
            with torch.no_grad(), autocast(self.device, self.speed.autocast):
                for batch in self.val_dataloader:
                    self.model.validation_step(self.prepare_batch(batch))
                    self.val_batch_idx += 1

    def clip_gradients(self, grad_clip_val, model):
        """Scale all gradients down together so that their joint norm is at most ``grad_clip_val``."""
        nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None], grad_clip_val)


__all__ = [*_TORCH, *_METHODS, "numpy", "gpu", "add_to_class", "init_cnn", "HyperParameters", "ProgressBoard",
           "Module", "Classifier", "SGD", "DataModule", "FashionMNIST", "MNIST", "Trainer"]  # fmt: skip
