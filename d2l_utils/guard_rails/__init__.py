"""Guard rails: what keeps a learner's mistakes from costing work or printing wrong numbers.

A first reading can skip this folder. The course's loop (``d2l_utils/training.py``) reads like the book's; the
files here catch what the book's code lets through:

- :mod:`.checks`: the small checks every helper shares (positive integers, writable paths, the ``(X, y)`` batch
  protocol, the step-0 shape probe) and :func:`~.checks.atomic_write`, the one way the course writes a file;
- :mod:`.training_guards`: what ``train_ch6`` runs beside its loop: the divergence guard, keeping finished work
  on Ctrl-C or an exception, and the checkpoint file;
- :mod:`.files`: downloading and verifying data files, and their IDX format.
"""
