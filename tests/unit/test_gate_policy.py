"""Gate policy files: YAML and TOML, and every mistake named precisely."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from lineagegraph.errors import BadInput
from lineagegraph.gate.policy import GatePolicy, Threshold
from lineagegraph.gate.policy_file import load_policy, read_policy_text
from lineagegraph.repro.levels import Level

ROOT = Path(__file__).resolve().parents[2]


def bad(text: str, fmt: str = "yaml") -> BadInput:
    with pytest.raises(BadInput) as excinfo:
        read_policy_text(text, fmt, source="p.yaml")
    return excinfo.value


def test_shipped_example_policies_load_and_agree():
    yaml_policy = load_policy(ROOT / "deploy/ci/gate-policy.yaml")
    toml_policy = load_policy(ROOT / "deploy/ci/gate-policy.toml")
    assert yaml_policy == toml_policy
    assert yaml_policy.reproducibility is Level.ALGORITHMIC
    assert yaml_policy.provenance is not None
    assert yaml_policy.improvement is not None
    assert yaml_policy.improvement.baseline.deployed == "prod"


def test_threshold_text_forms():
    policy = read_policy_text(
        'evaluation:\n  thresholds: ["auc >= 0.90", "slice country=* auc>=0.85", "loss<0.3"]\n',
        "yaml",
    )
    assert policy.evaluation is not None
    assert [(t.metric, t.op, t.value, t.slice) for t in policy.evaluation.thresholds] == [
        ("auc", ">=", 0.90, None),
        ("auc", ">=", 0.85, "country=*"),
        ("loss", "<", 0.3, None),
    ]
    assert str(policy.evaluation.thresholds[1]) == "slice country=* auc >= 0.85"


def test_unknown_key_is_named_with_a_suggestion():
    error = bad("provenence: true\n")
    assert error.field == "provenence"
    assert "provenence: unknown key (did you mean 'provenance'?)" in error.message
    nested = bad("provenance:\n  comit: true\n")
    assert nested.field == "provenance.comit"
    assert "did you mean 'commit'?" in nested.message


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("reproducibility: fast\n", "reproducibility", "'statistical', 'algorithmic' or 'bitwise'"),
        ("provenance: {seeds: often}\n", "provenance.seeds", "valid boolean"),
        ("no_deprecated_upstream: [1]\n", "no_deprecated_upstream", "valid boolean"),
        ('evaluation: {thresholds: ["auc >= high"]}\n', "evaluation.thresholds.0", "not a number"),
        ("evaluation: {thresholds: [{metric: auc, op: '>=', value: x}]}\n",
         "evaluation.thresholds.0.value", "valid number"),
        ("evaluation: {thresholds: [{metric: auc, op: '>=', value: .nan}]}\n",
         "evaluation.thresholds.0.value", "finite number"),
        ("evaluation: {thresholds: []}\n", "evaluation.thresholds", "at least 1"),
        ("improvement: {baseline: {deployed: prod}, metrics: [auc], confidence: 1.5}\n",
         "improvement.confidence", "less than 1"),
        ("improvement: {baseline: {deployed: prod}, metrics: [{metric: auc, direction: up}]}\n",
         "improvement.metrics.0.direction", "'higher' or 'lower'"),
        ("version: 2\nno_deprecated_upstream: true\n", "version", "1"),
    ],
)  # fmt: skip
def test_bad_types_are_named(text: str, field: str, words: str):
    error = bad(text)
    assert error.field == field
    assert words in error.message


@pytest.mark.parametrize("op", ["=>", "==", "!=", "=<", "<>"])
def test_bad_operator_is_named(op: str):
    error = bad(f'evaluation: {{thresholds: ["auc >= 0.9", "auc {op} 0.9"]}}\n')
    assert error.field == "evaluation.thresholds.1"
    assert f"unknown operator {op!r}" in error.message
    assert ">=, >, <=, <" in error.message
    structured = bad(f"evaluation: {{thresholds: [{{metric: auc, op: '{op}', value: 1}}]}}\n")
    assert structured.field == "evaluation.thresholds.0.op"


def test_unreadable_threshold_and_every_problem_listed():
    error = bad('evaluation: {thresholds: ["auc is good"]}\nreproducibility: fast\nextra: 1\n')
    assert error.field == "reproducibility"  # the first problem, in the policy's field order
    problems = error.details["problems"]
    assert len(problems) == 3
    assert any("cannot read threshold 'auc is good'" in p for p in problems)
    assert any(p.startswith("extra: unknown key") for p in problems)


def test_baseline_must_be_one_model_or_one_environment():
    both = bad("improvement: {baseline: {deployed: prod, model: 'model:m@1'}, metrics: [auc]}\n")
    assert both.field == "improvement.baseline"
    assert "exactly one" in both.message
    neither = bad("improvement: {baseline: {}, metrics: [auc]}\n")
    assert "exactly one" in neither.message
    dataset = bad("improvement: {baseline: {model: 'dataset:d@1'}, metrics: [auc]}\n")
    assert dataset.field == "improvement.baseline.model"
    assert "not a model ref" in dataset.message
    malformed = bad("improvement: {baseline: {model: 'model:m'}, metrics: [auc]}\n")
    assert "needs a version" in malformed.message


def test_a_policy_requiring_nothing_is_an_error():
    assert "requires nothing" in bad("version: 1\n").message
    assert "requires nothing" in bad("provenance: false\n").message
    assert "must be a mapping" in bad("- auc >= 0.9\n").message
    assert "must be a mapping" in bad("").message


def test_syntax_errors_and_file_problems(tmp_path: Path):
    assert "not valid YAML" in bad("evaluation: [\n").message
    assert "not valid TOML" in bad("evaluation = [\n", "toml").message
    with pytest.raises(BadInput, match=re.escape("unknown policy file type '.ini'")):
        load_policy(tmp_path / "policy.ini")
    with pytest.raises(BadInput, match="cannot read policy"):
        load_policy(tmp_path / "absent.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(BadInput, match="not UTF-8"):
        load_policy(binary)


def test_toml_policy(tmp_path: Path):
    path = tmp_path / "gate.toml"
    path.write_text(
        'reproducibility = "bitwise"\n'
        "[evaluation]\n"
        'thresholds = ["auc >= 0.9", { metric = "loss", op = "<=", value = 0.2 }]\n'
    )
    policy = load_policy(path)
    assert isinstance(policy, GatePolicy)
    assert policy.evaluation is not None
    assert policy.evaluation.thresholds[1] == Threshold(metric="loss", op="<=", value=0.2)
    path.write_text('reproducibility = "bitwise"\nthreshold = 1\n')
    with pytest.raises(BadInput, match="threshold: unknown key") as excinfo:
        load_policy(path)
    assert str(path) in excinfo.value.message


@pytest.mark.parametrize("snippet", ["github-actions.yml", "gitlab-ci.yml"])
def test_ci_snippets_call_the_gate_with_the_shipped_policy(snippet: str):
    text = (ROOT / "deploy/ci" / snippet).read_text()
    yaml.safe_load(text)  # valid YAML
    calls = [line.strip(" -") for line in text.splitlines() if "lineage gate " in line]
    assert calls
    for call in calls:
        words = shlex.split(call.split("|")[0].split(">")[0])
        assert words[:3] == ["lineage", "gate", "$MODEL"]
        policy = words[words.index("--policy") + 1]
        assert (ROOT / policy).is_file()
