"""Guard rails: what keeps a learner's mistakes from costing work or printing wrong numbers (a first reading can skip
them): :mod:`.checks` (the shared argument checks and :func:`~.checks.atomic_write`), :mod:`.training_guards` (what
``train_ch6`` runs beside its loop) and :mod:`.files` (downloading and verifying data files)."""
