"""Data that misbehaves on cue, for the tests of what train_ch6 does when a batch goes wrong."""

from __future__ import annotations

from collections.abc import Callable


class FaultyBatches:
    """Yields the wrapped ``(X, y)`` batches; batch ``step`` of epoch ``epoch`` (both from 1) goes through ``fault``.

    ``fault(X, y)`` returns the batch to yield instead, or raises (e.g. ``KeyboardInterrupt`` for a Ctrl-C while
    that batch loads). Has a ``len()`` and counts the epochs that started, like a real data loader.
    """

    def __init__(self, batches, epoch: int, step: int, fault: Callable) -> None:
        self.batches, self.epoch, self.step, self.fault = batches, epoch, step, fault
        self.epochs_started = 0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        self.epochs_started += 1
        for i, batch in enumerate(self.batches, start=1):
            if (self.epochs_started, i) == (self.epoch, self.step):
                batch = self.fault(*batch)
            yield batch


def press_ctrl_c(*batch):
    """A fault: the user presses Ctrl-C while the batch loads."""
    raise KeyboardInterrupt
