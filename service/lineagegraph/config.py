"""The one settings object, and the only module that reads the environment.

Values come from ``LINEAGE_*`` environment variables, then from an optional TOML file named by
``LINEAGE_CONFIG_FILE`` (keys as the field names below), then from the defaults.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from lineagegraph.errors import ConfigError

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _config_file() -> Path | None:
    raw = os.environ.get("LINEAGE_CONFIG_FILE")
    return Path(raw) if raw else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LINEAGE_", extra="forbid", frozen=True, validate_default=True
    )

    # --- the service -------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    auth_enabled: bool = False
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    data_dir: Path = Path(".lineage")

    # --- Neo4j -------------------------------------------------------------------------------
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str = "neo4j"

    # --- S3 ----------------------------------------------------------------------------------
    s3_endpoint: str = "http://127.0.0.1:9000"
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    s3_bucket: str = "lineage"
    s3_region: str = "us-east-1"
    presign_expiry_seconds: int = Field(3600, ge=1, le=7 * 24 * 3600)
    max_artifact_size: int = Field(50 * 1024**3, ge=1)
    # below it one presigned PUT whose SHA-256 S3 checks on arrival (no read-back at commit);
    # above it multipart (parts retried individually; the service reads the object back to
    # prove its SHA-256, since S3 keeps only a composite checksum for multipart)
    multipart_threshold: int = Field(1024**3, ge=5 * 1024**2, le=5 * 1024**3)
    multipart_part_size: int = Field(64 * 1024**2, ge=5 * 1024**2)

    # --- API limits --------------------------------------------------------------------------
    max_query_depth: int = Field(12, ge=1)
    max_aliases: int = Field(30, ge=1)
    max_batch_size: int = Field(5000, ge=1)
    # the service refuses a /graphql body over it (413); the SDK sizes its batches below it
    max_request_bytes: int = Field(8 * 1024**2, ge=1024)
    # Lineage answers hold at most this many nodes (then `truncated`), impact this many items;
    # listings return at most max_page_size per page.
    max_lineage_nodes: int = Field(10_000, ge=1)
    max_impact_nodes: int = Field(100_000, ge=1)
    max_page_size: int = Field(500, ge=1)
    deprecation_policy: Literal["warn", "block"] = "warn"
    # One OpenLineage event (POST /api/v1/lineage), before and after gzip decompression.
    openlineage_max_event_bytes: int = Field(8 * 1024**2, ge=1024)
    # A POSTed query text already validated is run without strawberry's per-request layers
    # (api/direct.py: same responses, ~0.2 ms less a request); False sends all to strawberry.
    direct_queries: bool = True

    # --- the local stack (deploy/local) ------------------------------------------------------
    cache_dir: Path = Path(".cache")
    neo4j_bolt_port: int = Field(7687, ge=1, le=65535)
    s3_port: int = Field(9000, ge=1, le=65535)
    neo4j_heap: str = "1g"
    neo4j_pagecache: str = "512m"

    # --- the SDK -----------------------------------------------------------------------------
    url: str = "http://127.0.0.1:8000"
    token: SecretStr | None = None
    spool_dir: Path = Path.home() / ".cache" / "lineagegraph" / "spool"
    spool_max_bytes: int = Field(512 * 1024**2, ge=1024)
    flush_interval_seconds: float = Field(0.5, gt=0)
    image_digest: str | None = None
    # Uploads remember each file's SHA-256 by (device, inode, size, mtime, ctime), so an
    # unchanged file is not hashed again (sdk/_digest_cache.py); default beside the spool.
    digest_cache: bool = True
    digest_cache_path: Path | None = None
    # run.log_metrics writes its record in C (sdk/_fastmetrics.c) when that module was built;
    # False keeps the pure-Python path (same bytes, ~3x the time inside a NumPy loop)
    native_metrics: bool = True

    @model_validator(mode="after")
    def _auth_off_only_on_loopback(self) -> Settings:
        if not self.auth_enabled and self.host not in LOOPBACK_HOSTS:
            raise ValueError(
                f"auth_enabled is false but host={self.host!r} is not loopback: "
                "turn auth on (LINEAGE_AUTH_ENABLED=true) or bind to 127.0.0.1"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning every validation problem into one ConfigError."""
    path = _config_file()
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"LINEAGE_CONFIG_FILE={path} does not exist")
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "settings"
            env = f"LINEAGE_{where.upper()}" if err["loc"] else ""
            problems.append(f"  - {where}{f' ({env})' if env else ''}: {err['msg']}")
        raise ConfigError("invalid settings:\n" + "\n".join(problems)) from None


def secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
