"""Reproducibility: what differs between two runs, and whether one reproduces the other.

Pure decision logic, no I/O: the CLI and GraphQL layers read runs from the graph into the
snapshots of ``inputs.py`` (downloading ``.npy``/``.npz`` outputs to local paths when the
algorithmic level needs them) and call:

- ``diff.diff_runs(a, b)`` -> ``RunDiff``; ``render.render_diff`` / ``render.diff_json``;
- ``verify.verify_pair(a, b, level, ...)`` for the bitwise and algorithmic levels
  (``bitwise.py``, ``algorithmic.py``, arrays in ``arrays.py``);
- ``statistical.verify_groups(group_a, group_b, ...)`` for the statistical level (the tests in
  ``equivalence.py``);
- ``verdict.Verdict.node_properties()`` to store a verdict as a ReproducibilityCheck node,
  ``render.render_verdict`` / ``render.verdict_json`` to print it;
- ``recipe.build_recipe(run)`` / ``render_recipe`` for ``lineage reproduce``, and
  ``recipe.environment_changes(recorded, current)`` for the warnings of ``--exec``.

NumPy/SciPy are needed by ``arrays``, ``algorithmic``, ``verify``, ``equivalence`` and
``statistical`` only; ``levels``, ``diff``, ``render``, ``verdict`` and ``recipe`` (and the gate)
import with pydantic alone.
"""
