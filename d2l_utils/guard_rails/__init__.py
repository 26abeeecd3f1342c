"""Guard rails: what keeps a learner's mistakes from costing work or printing wrong numbers.

A first reading can skip this folder. The course's loop (``d2l_utils/training.py``) reads like the book's; the
files here catch what the book's code lets through:

- :mod:`.checks`: the small checks every helper shares (positive integers, a net's outputs and labels, writable
  paths, the ``(X, y)`` batch protocol, ``train_ch6``'s arguments) and :func:`~.checks.atomic_write`, the one way
  the course writes a file;
- :mod:`.training_guards`: what ``train_ch6`` runs beside its loop: the divergence guard, keeping finished work
  on Ctrl-C or an exception, the checkpoint file, and the probe that names the layer a first batch misses;
- :mod:`.files`: downloading and verifying data files, and their IDX format.
"""
