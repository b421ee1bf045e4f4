"""Reproducibility: what differs between two runs, and whether one reproduces the other.

Pure decision logic, no I/O: the CLI and GraphQL layers read runs from the graph into the
snapshots of ``inputs.py`` (downloading ``.npy``/``.npz`` outputs to local paths when the
algorithmic level needs them) and call:

- ``diff.diff_runs(a, b)`` -> ``RunDiff``; ``render.render_diff`` / ``render.diff_json``;
- ``verify.verify_pair(a, b, level, ...)`` for the bitwise and algorithmic levels;
- ``statistical.verify_groups(group_a, group_b, ...)`` for the statistical level;
- ``verdict.Verdict.node_properties()`` to store the verdict as a ReproducibilityCheck node.

Only ``verify``, ``arrays``, ``equivalence`` and ``statistical`` need NumPy/SciPy; the rest (and
``levels``, which the gate uses) import with pydantic alone.
"""
