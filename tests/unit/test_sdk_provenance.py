"""Provenance capture: git state of a real repository, the environment fingerprint, hardware."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from lineagegraph.sdk import provenance


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.email", "t@example.com")
    _git(root, "config", "user.name", "t")
    (root / "train.py").write_text("print('train')\n")
    _git(root, "add", "train.py")
    _git(root, "commit", "-q", "-m", "first")
    _git(
        root, "remote", "add", "origin", "https://alice:s3cret-token@git.example.com/ml/ranker.git"
    )
    return root


def test_a_clean_checkout(repo):
    captured = provenance.capture_code(repo)
    code = captured.code
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert code.commit == head
    assert code.branch == "main"
    assert code.remote_url == "https://git.example.com/ml/ranker.git"  # no credentials kept
    assert code.dirty is False
    assert code.diff_digest == "sha256:" + hashlib.sha256(b"").hexdigest()
    assert captured.diff is None
    assert code.command


def test_a_dirty_checkout_keeps_the_diff_and_its_digest(repo):
    (repo / "train.py").write_text("print('train harder')\n")
    captured = provenance.capture_code(repo)
    diff = subprocess.run(
        ["git", "diff", "HEAD", "--binary"], cwd=repo, capture_output=True, check=True
    ).stdout
    assert captured.code.dirty is True
    assert captured.diff == diff
    assert b"train harder" in diff
    assert captured.code.diff_digest == "sha256:" + hashlib.sha256(diff).hexdigest()


def test_an_untracked_file_makes_the_tree_dirty(repo):
    (repo / "notes.txt").write_text("scratch")
    assert provenance.capture_code(repo).code.dirty is True


def test_outside_a_repository_only_the_command_is_known(tmp_path):
    code = provenance.capture_code(tmp_path).code
    assert (code.commit, code.branch, code.dirty) == (None, None, None)
    assert code.command


def test_keep_diff_stores_by_digest_once(tmp_path):
    first = provenance.keep_diff(tmp_path, b"diff --git a b")
    again = provenance.keep_diff(tmp_path, b"diff --git a b")
    assert first == again
    assert first.read_bytes() == b"diff --git a b"
    assert first.stem == hashlib.sha256(b"diff --git a b").hexdigest()


def test_packages_digest_is_over_the_sorted_name_version_lines():
    packages = provenance.installed_packages()
    assert list(packages) == sorted(packages)
    names = dict(packages)
    assert "pydantic" in names
    assert "httpx" in names
    expected = hashlib.sha256("".join(f"{n}=={v}\n" for n, v in packages).encode()).hexdigest()
    assert provenance.packages_digest(packages) == f"sha256:{expected}"
    assert provenance.installed_packages() is packages  # computed once per process


def test_environment_carries_the_image_digest_given_in_settings():
    env = provenance.capture_environment("sha256:" + "d" * 64)
    assert env.image_digest == "sha256:" + "d" * 64
    assert env.python_version
    assert env.platform
    assert env.packages


def test_hardware():
    hw = provenance.capture_hardware()
    assert (hw.cpu_count or 0) >= 1
    assert (hw.memory_bytes or 0) > 0


def test_nvidia_smi_rows_become_gpus():
    text = "NVIDIA A100-SXM4-40GB, 40960, 535.104.05\nTesla T4, [N/A], 470.1\n\n"
    gpus = provenance.parse_nvidia_smi(text)
    assert [g.name for g in gpus] == ["NVIDIA A100-SXM4-40GB", "Tesla T4"]
    assert gpus[0].memory_bytes == 40960 * 1024**2
    assert gpus[1].memory_bytes is None
    assert gpus[0].driver == "535.104.05"


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://user:tok@github.com/a/b.git", "https://github.com/a/b.git"),
        ("https://github.com/a/b.git", "https://github.com/a/b.git"),
        ("git@github.com:a/b.git", "git@github.com:a/b.git"),
        ("ssh://git@host:22/a/b", "ssh://host:22/a/b"),
    ],
)
def test_remote_urls_lose_their_credentials(url, clean):
    assert provenance.scrub_url(url) == clean
