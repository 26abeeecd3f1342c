"""The (X, y) batch protocol; it lives in :mod:`d2l_utils.guard_rails.checks`."""

from .guard_rails.checks import check_batch, check_data_iter, checked_batches, first_batch

__all__ = ["check_batch", "check_data_iter", "checked_batches", "first_batch"]
