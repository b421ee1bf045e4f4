"""Reading a gate policy from YAML or TOML, with errors that name the bad key and its place."""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from lineagegraph.errors import BadInput
from lineagegraph.gate import policy as policy_models
from lineagegraph.gate.policy import GatePolicy

_YAML_SUFFIXES = (".yaml", ".yml", ".json")  # JSON is YAML
_TOML_SUFFIXES = (".toml",)


def _known_keys() -> set[str]:
    keys: set[str] = set()
    for item in vars(policy_models).values():
        if isinstance(item, type) and issubclass(item, BaseModel):
            keys.update(item.model_fields)
    return keys


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _describe(error: Any) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        name = str(loc[-1])
        close = difflib.get_close_matches(name, sorted(_known_keys()), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{_where(loc)}: unknown key{hint}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{_where(loc)}: {message}"


def parse_policy(document: Any, source: str = "policy") -> GatePolicy:
    """Validate a parsed document; every problem is listed, the first one names the field."""
    if not isinstance(document, dict):
        raise BadInput(f"{source}: the policy must be a mapping of requirements", field="policy")
    try:
        return GatePolicy.model_validate(document)
    except ValidationError as exc:
        errors = exc.errors()
        lines = [_describe(e) for e in errors]
        raise BadInput(
            f"{source}: invalid policy:\n  " + "\n  ".join(lines),
            field=_where(tuple(errors[0]["loc"])) if errors[0]["loc"] else "policy",
            problems=lines,
        ) from None


def read_policy_text(text: str, fmt: str, source: str = "policy") -> GatePolicy:
    """``fmt`` is "yaml" or "toml"."""
    try:
        if fmt == "toml":
            document: Any = tomllib.loads(text)
        elif fmt == "yaml":
            document = yaml.safe_load(text)
        else:
            raise BadInput(f"unknown policy format {fmt!r} (use yaml or toml)", field="policy")
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{source}: not valid TOML: {exc}", field="policy") from None
    except yaml.YAMLError as exc:
        raise BadInput(f"{source}: not valid YAML: {exc}", field="policy") from None
    return parse_policy(document, source)


def load_policy(path: Path) -> GatePolicy:
    """A policy file, its format chosen by suffix (.yaml/.yml/.json or .toml)."""
    suffix = path.suffix.lower()
    if suffix in _TOML_SUFFIXES:
        fmt = "toml"
    elif suffix in _YAML_SUFFIXES:
        fmt = "yaml"
    else:
        raise BadInput(
            f"{path}: unknown policy file type {suffix or '(none)'!r}: use .yaml, .yml or .toml",
            field="policy",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read policy {path}: {exc.strerror}", field="policy") from None
    except UnicodeDecodeError:
        raise BadInput(f"policy {path} is not UTF-8 text", field="policy") from None
    return read_policy_text(text, fmt, source=str(path))
