"""The guard-rail tier: checks and safe file handling that the learner-facing helpers rely on.

A first reading of the course can skip this package; each module says what it protects against.
"""
