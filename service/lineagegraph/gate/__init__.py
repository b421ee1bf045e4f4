"""The release gate: may this model ship? Pure decision logic, no I/O.

The CLI (`lineage gate MODEL --policy FILE`) loads the policy with ``policy_file.load_policy``,
gathers the facts the policy needs from the graph into ``facts.GateFacts`` (the model's
producing run, deprecated artifacts upstream, the highest verified reproducibility level, its
evaluation reports and trial metrics, the baseline named by ``policy.improvement.baseline``), then
calls ``evaluate.evaluate_gate`` and prints ``report.render_report`` or ``report.report_json``,
exiting with ``report.exit_code``.
"""
