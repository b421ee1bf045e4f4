"""What a run needs to be recreated months later, captured cheaply at ``start_run``.

Code (git commit, branch, remote without credentials, dirty flag, digest of ``git diff HEAD``
and the diff itself, entry script, argv), environment (Python, platform, installed
distributions and their digest, container image digest), hardware (CPU, cores, memory, GPUs via
``nvidia-smi``). Nothing here raises: what cannot be found is left ``None``. Environment and
hardware are computed once per process; git is asked again for every top-level run (the tree may
have changed) with a short timeout.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from lineagegraph.models import CodeVersion, Environment, Gpu, Hardware

_GIT_TIMEOUT = 5.0
MAX_DIFF_BYTES = 64 * 1024**2  # a larger diff is digested but not kept


@dataclass(frozen=True)
class CodeCapture:
    code: CodeVersion
    diff: bytes | None  # the bytes of `git diff HEAD --binary` when the tree is dirty


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=_GIT_TIMEOUT, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8", "replace").strip() if done.returncode == 0 else None


def _git_bytes(cwd: Path, *args: str) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=_GIT_TIMEOUT * 4, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def scrub_url(url: str) -> str:
    """Drop user:password@ from a remote URL (tokens are often embedded there)."""
    parts = urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return url


def entry_script() -> Path | None:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv and sys.argv[0] else None)
    if not path or path in ("-c", "-m"):
        return None
    candidate = Path(path).resolve()
    return candidate if candidate.exists() else None


def capture_code(directory: Path | None = None) -> CodeCapture:
    script = entry_script()
    command = list(sys.argv)
    top = None
    # the script's checkout first; else the working directory (e.g. under a test runner)
    places: list[Path | None] = (
        [directory] if directory else [script.parent if script else None, Path.cwd()]
    )
    for where in places:
        if where is not None and top is None:
            top = _git(where, "rev-parse", "--show-toplevel")
    if top is None:
        entry = str(script) if script else None
        return CodeCapture(CodeVersion(entry_point=entry, command=command), None)
    root = Path(top)
    entry_point = None
    if script is not None:
        try:
            entry_point = str(script.relative_to(root))
        except ValueError:
            entry_point = str(script)
    commit = _git(root, "rev-parse", "--verify", "HEAD")
    branch = _git(root, "symbolic-ref", "--short", "-q", "HEAD")
    remote = _git(root, "config", "--get", "remote.origin.url")
    status = _git(root, "status", "--porcelain", "--untracked-files=normal")
    dirty = bool(status) if status is not None else None
    diff = _git_bytes(root, "diff", "HEAD", "--binary") if commit else None
    diff_digest = "sha256:" + hashlib.sha256(diff).hexdigest() if diff is not None else None
    code = CodeVersion(
        commit=commit,
        branch=branch,
        remote_url=scrub_url(remote) if remote else None,
        dirty=dirty,
        diff_digest=diff_digest,
        entry_point=entry_point,
        command=command,
    )
    keep = diff if dirty and diff and len(diff) <= MAX_DIFF_BYTES else None
    return CodeCapture(code, keep)


def keep_diff(spool_dir: Path, diff: bytes) -> Path:
    """Keep the diff of a dirty tree by its digest, for upload as an artifact."""
    target = spool_dir / "diffs" / (hashlib.sha256(diff).hexdigest() + ".patch")
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(diff)
        os.replace(tmp, target)
    return target


_CANONICAL = re.compile(r"[-_.]+")


@functools.cache
def installed_packages() -> tuple[tuple[str, str], ...]:
    """Sorted (name, version) of every distribution on sys.path, first one found wins."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if not name:
            continue
        found.setdefault(_CANONICAL.sub("-", name).lower(), dist.version)
    return tuple(sorted(found.items()))


def packages_digest(packages: tuple[tuple[str, str], ...]) -> str:
    lines = "".join(f"{name}=={version}\n" for name, version in packages)
    return "sha256:" + hashlib.sha256(lines.encode()).hexdigest()


def detect_image_digest() -> str | None:
    """The container image id when the runtime tells the container (podman's .containerenv)."""
    try:
        text = Path("/run/.containerenv").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r'^imageid="([0-9a-f]{64})"', text, re.MULTILINE)
    return f"sha256:{match.group(1)}" if match else None


@functools.cache
def _environment_base() -> Environment:
    packages = installed_packages()
    return Environment(
        python_version=platform.python_version(),
        platform=platform.platform(),
        packages_digest=packages_digest(packages),
        packages=dict(packages),
    )


def capture_environment(image_digest: str | None = None) -> Environment:
    base = _environment_base()
    return base.model_copy(update={"image_digest": image_digest or detect_image_digest()})


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            done = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True,
                timeout=2,
                check=False,
            )
            if done.returncode == 0:
                return done.stdout.decode().strip() or None
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or None


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def parse_nvidia_smi(text: str) -> list[Gpu]:
    """Rows of ``--query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits``."""
    gpus = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) != 3 or not cells[0]:
            continue
        memory = int(float(cells[1]) * 1024**2) if re.fullmatch(r"[\d.]+", cells[1]) else None
        gpus.append(Gpu(name=cells[0], memory_bytes=memory, driver=cells[2] or None))
    return gpus


def _gpus() -> list[Gpu]:
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return []
    query = "--query-gpu=name,memory.total,driver_version"
    try:
        done = subprocess.run(
            [tool, query, "--format=csv,noheader,nounits"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_nvidia_smi(done.stdout.decode("utf-8", "replace")) if done.returncode == 0 else []


@functools.cache
def capture_hardware() -> Hardware:
    return Hardware(
        cpu_model=_cpu_model(),
        cpu_count=os.cpu_count(),
        memory_bytes=_memory_bytes(),
        gpus=_gpus(),
    )


def current_user() -> str | None:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        return None
