from __future__ import annotations

import pytest

from lineagegraph.config import load_settings
from lineagegraph.errors import ConfigError


def test_every_problem_is_listed_at_once(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LINEAGE_PORT", "not-a-port")
    monkeypatch.setenv("LINEAGE_MAX_BATCH_SIZE", "0")
    with pytest.raises(ConfigError) as excinfo:
        load_settings()
    message = excinfo.value.message
    assert "port (LINEAGE_PORT)" in message
    assert "max_batch_size (LINEAGE_MAX_BATCH_SIZE)" in message


def test_auth_off_refuses_a_non_loopback_bind(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LINEAGE_HOST", "0.0.0.0")
    with pytest.raises(ConfigError, match="not loopback"):
        load_settings()
    monkeypatch.setenv("LINEAGE_AUTH_ENABLED", "true")
    assert load_settings().host == "0.0.0.0"


def test_config_file_is_read_and_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path):
    path = tmp_path / "lineage.toml"
    path.write_text('port = 9100\ns3_bucket = "from-file"\n')
    monkeypatch.setenv("LINEAGE_CONFIG_FILE", str(path))
    monkeypatch.setenv("LINEAGE_PORT", "9200")
    settings = load_settings()
    assert (settings.port, settings.s3_bucket) == (9200, "from-file")


def test_unknown_key_in_config_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path):
    path = tmp_path / "lineage.toml"
    path.write_text("prot = 1\n")
    monkeypatch.setenv("LINEAGE_CONFIG_FILE", str(path))
    with pytest.raises(ConfigError, match="prot"):
        load_settings()


def test_missing_config_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv("LINEAGE_CONFIG_FILE", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()
