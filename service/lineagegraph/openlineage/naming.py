"""How OpenLineage identities become our names and refs.

A dataset (namespace, name) becomes the Dataset named ``<namespace>/<name>``, so
``postgres://db:5432`` + ``shop.public.orders`` is ``dataset:postgres://db:5432/shop.public.orders``
and ``s3://bucket`` + ``raw/events`` reads like the object's URI. Refs reserve ``@`` for the
version and forbid control characters, and some namespaces hold an ``@`` (Azure's
``abfss://container@account.dfs.core.windows.net``), so three things are percent-encoded:
``%`` as ``%25``, ``@`` as ``%40`` and control characters as ``%XX``. Everything else is kept
verbatim, so the encoding is reversible and most names are unchanged.
"""

from __future__ import annotations

import re
import uuid

from lineagegraph.errors import BadInput
from lineagegraph.refs import MAX_NAME_LENGTH, NodeKind, artifact_ref, check_name

_ESCAPED = re.compile(r"[%@\x00-\x1f\x7f]")
_UNESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
RUN_VERSION_PREFIX = "run-"
PLACEHOLDER_VERSION = "unknown"


def encode_part(text: str) -> str:
    return _ESCAPED.sub(lambda m: f"%{ord(m.group()):02X}", text)


def decode_part(text: str) -> str:
    return _UNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def dataset_name(namespace: str, name: str, field: str = "dataset") -> str:
    """The Dataset name of an OpenLineage (namespace, name); BadInput when too long."""
    joined = f"{encode_part(namespace)}/{encode_part(name)}"
    if len(joined) > MAX_NAME_LENGTH:
        raise BadInput(
            f"dataset {namespace[:40]!r}/{name[:40]!r} gives a name of {len(joined)} characters; "
            f"at most {MAX_NAME_LENGTH} are allowed",
            field=field,
        )
    return check_name(joined, field)


def encode_version(version: str) -> str:
    return encode_part(version)


def dataset_ref(name: str) -> str:
    return f"dataset:{name}"


def snapshot_ref(name: str, version: str) -> str:
    return artifact_ref(NodeKind.DATASET_SNAPSHOT, name, version)


def run_version(run_id: uuid.UUID) -> str:
    """The version of a snapshot a run wrote when the event names none: stable across replays."""
    return f"{RUN_VERSION_PREFIX}{run_id}"
