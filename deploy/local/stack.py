"""The local stack: Neo4j Community from Maven Central and versitygw (S3), installed into an
ignored cache folder and run as child processes on loopback.

Used by ``make up`` / ``make test`` (through ``lineage stack``) and by ``tests/conftest.py``.
Children get PR_SET_PDEATHSIG so that no Java or versitygw process outlives the manager.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEO4J_VERSION = "5.26.30"
# The newest calendar release checked for compatibility (tests/integration/test_neo4j_next.py):
# the Cypher must keep working on Neo4j 2025+ as well; those releases need Java 21 or newer.
NEO4J_NEXT_VERSION = "2026.08.1"
VERSITYGW_MODULE = "github.com/versity/versitygw/cmd/versitygw"
VERSITYGW_VERSION = "v1.7.0"
JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
)


class StackError(RuntimeError):
    """A component could not be installed or started; the message says what to do."""


def log(message: str) -> None:
    print(f"[stack] {message}", file=sys.stderr, flush=True)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    os.setpgrp()  # own process group: a Ctrl-C in the terminal reaches only the manager


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_port_free(port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise StackError(
                f"port {port} for {what} is already in use on 127.0.0.1: stop whatever holds it "
                f"or choose another port (see the configuration table in README.md)"
            ) from None


def _run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    log("running: " + " ".join(cmd))
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise StackError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")


# --- installation ----------------------------------------------------------------------------


def java_major(java: Path) -> int | None:
    """The feature release of a ``java`` binary (17, 21, 25, ...), None if it does not run."""
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, check=False)
    except OSError:
        return None
    found = re.search(r'version "(\d+)', out.stderr)
    return int(found.group(1)) if found else None


def _java_candidates() -> list[Path]:
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    candidates += sorted(Path("/usr/lib/jvm").glob("*/bin/java"))
    which = shutil.which("java")
    if which:
        candidates.append(Path(which))
    return [java for java in dict.fromkeys(candidates) if java.exists()]


def is_calendar_release(version: str) -> bool:
    """Neo4j 2025.01 and later are numbered by year.month; they need Java 21 or newer."""
    return int(version.split(".")[0]) >= 2025


def find_java(version: str = NEO4J_VERSION) -> str:
    """Java 17 for Neo4j 5.x (the first found); Java 21 or newer (the oldest such found) for
    2025+ releases."""
    candidates = _java_candidates()
    if not is_calendar_release(version):
        for java in candidates:
            if java_major(java) == 17:
                return str(java)
        raise StackError(
            "OpenJDK 17 not found: install it (apt-get install openjdk-17-jre-headless)"
        )
    majors = {java: java_major(java) for java in candidates}
    usable = sorted((major, str(java)) for java, major in majors.items() if (major or 0) >= 21)
    if usable:
        return usable[0][1]
    raise StackError(
        f"Neo4j {version} needs Java 21 or newer and none was found under JAVA_HOME, "
        "/usr/lib/jvm or PATH: install one (a Temurin or OpenJDK 21/25 JDK) or set JAVA_HOME"
    )


def entry_point(lib: Path, version: str) -> str:
    """The server's main class as its jar declares it: ``CommunityEntryPoint`` in 5.x,
    ``Neo4jCommunity`` in the calendar releases."""
    jar = lib / f"neo4j-{version}.jar"
    try:
        with zipfile.ZipFile(jar) as archive:
            declared = archive.read("META-INF/services/org.neo4j.server.startup.EntryPoint")
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise StackError(f"{jar} names no server entry point ({exc}): remove {lib.parent}") from exc
    names = [line.strip() for line in declared.decode().splitlines() if line.strip()]
    if len(names) != 1:
        raise StackError(f"{jar} names {len(names)} server entry points, expected one")
    return names[0]


def install_neo4j(cache: Path, version: str = NEO4J_VERSION) -> Path:
    """Resolve org.neo4j:neo4j and its runtime dependencies into cache/neo4j/<version>/lib."""
    cache = cache.resolve()  # Maven resolves relative paths against the POM's folder
    lib = cache / "neo4j" / version / "lib"
    marker = lib.parent / ".complete"
    if marker.exists():
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError("Maven (mvn) not found: install it (apt-get install maven)")
    if lib.exists():
        shutil.rmtree(lib)
    repo = cache / "m2"
    log(f"installing Neo4j Community {version} with Maven into {lib}")
    _run(
        [
            mvn,
            "-q",
            "-B",
            f"-Dmaven.repo.local={repo}",
            f"-Dneo4j.version={version}",
            "-f",
            str(HERE / "pom.xml"),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={lib}",
        ]
    )
    if not any(lib.glob("neo4j-*.jar")):
        raise StackError(f"Maven finished but {lib} holds no Neo4j jars")
    marker.write_text(version)
    return lib


def install(cache: Path, neo4j_versions: Sequence[str] = (NEO4J_VERSION,)) -> None:
    """Everything a stack runs: the Neo4j releases named, and versitygw."""
    for version in neo4j_versions:
        install_neo4j(cache, version)
    install_versitygw(cache)


def install_versitygw(cache: Path, version: str = VERSITYGW_VERSION) -> Path:
    binary = cache / "bin" / f"versitygw-{version}"
    if binary.exists():
        return binary
    go = shutil.which("go")
    if go is None:
        raise StackError("Go not found: install Go 1.22 or newer to build versitygw")
    build = cache / "go"
    gobin = cache / "gobin"
    env = {
        **os.environ,
        "GOPATH": str(build),
        "GOMODCACHE": str(build / "mod"),
        "GOCACHE": str(build / "cache"),
        "GOBIN": str(gobin),
        "GOFLAGS": "-modcacherw -buildvcs=false",
    }
    log(f"installing versitygw {version} with go install into {binary}")
    _run([go, "install", f"{VERSITYGW_MODULE}@{version}"], env=env)
    binary.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(gobin / "versitygw"), binary)
    # The binary is all we keep: the module and build caches are ~700 MB.
    shutil.rmtree(build, ignore_errors=True)
    shutil.rmtree(gobin, ignore_errors=True)
    return binary


# --- processes -------------------------------------------------------------------------------


@dataclass
class Component:
    name: str
    cmd: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        out = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env},
            preexec_fn=_die_with_parent,
        )
        out.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 30.0) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _wait(component: Component, probe_ok: object, timeout: float) -> None:
    assert callable(probe_ok)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not component.alive():
            raise StackError(
                f"{component.name} exited during start-up; log {component.log_path}:\n"
                + component.log_tail()
            )
        if probe_ok():
            return
        time.sleep(0.25)
    component.stop()
    raise StackError(
        f"{component.name} did not answer within {timeout:.0f}s; log {component.log_path}:\n"
        + component.log_tail()
    )


def _tcp_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Neo4jServer:
    home: Path
    bolt_port: int
    password: str | None  # None: auth off (tests)
    heap: str = "1g"
    pagecache: str = "512m"
    cache: Path = Path(".cache")
    version: str = NEO4J_VERSION
    settings: dict[str, str] = field(default_factory=dict)  # more neo4j.conf lines
    component: Component | None = None

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    def write_config(self, lib: Path) -> Path:
        conf_dir = self.home / "conf"
        for sub in ("data", "logs", "run", "import", "plugins"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        conf_dir.mkdir(parents=True, exist_ok=True)
        template = string.Template((HERE / "neo4j.conf.template").read_text())
        text = template.substitute(
            bolt_port=self.bolt_port,
            auth_enabled="true" if self.password else "false",
            pagecache=self.pagecache,
            tx_memory="1g",
            data_dir=self.home / "data",
            logs_dir=self.home / "logs",
            run_dir=self.home / "run",
            import_dir=self.home / "import",
            plugins_dir=self.home / "plugins",
            lib_dir=lib,
        )
        text += "".join(f"{name}={value}\n" for name, value in self.settings.items())
        (conf_dir / "neo4j.conf").write_text(text)
        return conf_dir

    def start(self, timeout: float = 120.0) -> None:
        check_port_free(self.bolt_port, "Neo4j Bolt")
        lib = install_neo4j(self.cache, self.version)
        conf_dir = self.write_config(lib)
        cmd = [
            find_java(self.version),
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            *JVM_FLAGS,
            "-cp",
            f"{lib}/*",
            entry_point(lib, self.version),
            f"--home-dir={self.home}",
            f"--config-dir={conf_dir}",
            "--console-mode",
        ]
        self.component = Component("neo4j", cmd, self.home / "logs" / "console.log")
        log(
            f"starting Neo4j {self.version} on {self.uri} (heap {self.heap}, pagecache "
            f"{self.pagecache})"
        )
        self.component.start()
        _wait(self.component, lambda: _tcp_open(self.bolt_port), timeout)
        self._wait_bolt(timeout)

    def _wait_bolt(self, timeout: float) -> None:
        import neo4j  # the stack runs inside the server environment

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            assert self.component is not None
            if not self.component.alive():
                break
            try:
                self._ensure_password()
                with neo4j.GraphDatabase.driver(self.uri, auth=self.auth) as driver:
                    driver.verify_connectivity()
                return
            except Exception as exc:  # still starting: retry until the deadline
                last = exc
                time.sleep(0.5)
        raise StackError(f"Neo4j Bolt did not answer: {last}\n" + self.component_log())

    def _ensure_password(self) -> None:
        """On the first start with auth on, replace the initial neo4j/neo4j password."""
        if not self.password:
            return
        import neo4j
        from neo4j.exceptions import AuthError

        try:
            with neo4j.GraphDatabase.driver(self.uri, auth=self.auth) as driver:
                driver.verify_connectivity()
                return
        except AuthError:
            pass
        with neo4j.GraphDatabase.driver(self.uri, auth=("neo4j", "neo4j")) as driver:
            driver.execute_query(
                "ALTER CURRENT USER SET PASSWORD FROM $old TO $new",
                old="neo4j",
                new=self.password,
                database_="system",
            )

    @property
    def auth(self) -> tuple[str, str] | None:
        return ("neo4j", self.password) if self.password else None

    def component_log(self) -> str:
        return self.component.log_tail() if self.component else ""

    def stop(self) -> None:
        if self.component:
            self.component.stop()

    def alive(self) -> bool:
        return self.component is not None and self.component.alive()


@dataclass
class S3Server:
    root: Path
    port: int
    access_key: str
    secret_key: str
    cache: Path = Path(".cache")
    component: Component | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/health", timeout=1) as resp:  # noqa: S310
                return bool(resp.status == 200)
        except OSError:
            return False

    def start(self, timeout: float = 60.0) -> None:
        check_port_free(self.port, "S3 (versitygw)")
        binary = install_versitygw(self.cache)
        (self.root / "buckets").mkdir(parents=True, exist_ok=True)
        (self.root / "iam").mkdir(parents=True, exist_ok=True)
        cmd = [
            str(binary),
            "--port",
            f"127.0.0.1:{self.port}",
            "--health",
            "/health",
            "--quiet",
            "--iam-dir",
            str(self.root / "iam"),
            "posix",
            str(self.root / "buckets"),
        ]
        env = {"ROOT_ACCESS_KEY_ID": self.access_key, "ROOT_SECRET_ACCESS_KEY": self.secret_key}
        self.component = Component("versitygw", cmd, self.root / "versitygw.log", env)
        log(f"starting versitygw {VERSITYGW_VERSION} (posix backend) on {self.endpoint}")
        self.component.start()
        _wait(self.component, self._healthy, timeout)

    def stop(self) -> None:
        if self.component:
            self.component.stop()

    def alive(self) -> bool:
        return self.component is not None and self.component.alive()


# --- the whole stack -------------------------------------------------------------------------


@dataclass
class Credentials:
    neo4j_password: str | None
    s3_access_key: str
    s3_secret_key: str

    @classmethod
    def load_or_create(cls, path: Path) -> Credentials:
        if path.exists():
            data = json.loads(path.read_text())
            return cls(**data)
        creds = cls(
            neo4j_password=secrets.token_urlsafe(24),
            s3_access_key="lg" + secrets.token_hex(8),
            s3_secret_key=secrets.token_urlsafe(30),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(creds.__dict__))
        return creds


@dataclass
class Stack:
    data_dir: Path
    cache: Path
    bolt_port: int
    s3_port: int
    credentials: Credentials
    heap: str = "1g"
    pagecache: str = "512m"
    neo4j_version: str = NEO4J_VERSION
    neo4j: Neo4jServer = field(init=False)
    s3: S3Server = field(init=False)

    def __post_init__(self) -> None:
        self.neo4j = Neo4jServer(
            self.data_dir / "neo4j",
            self.bolt_port,
            self.credentials.neo4j_password,
            self.heap,
            self.pagecache,
            self.cache,
            self.neo4j_version,
        )
        self.s3 = S3Server(
            self.data_dir / "s3",
            self.s3_port,
            self.credentials.s3_access_key,
            self.credentials.s3_secret_key,
            self.cache,
        )

    def install(self) -> None:
        install(self.cache, (self.neo4j_version,))

    def start(self) -> None:
        self.install()
        try:
            self.s3.start()
            self.neo4j.start()
        except BaseException:
            self.stop()
            raise
        self.write_state()

    def stop(self) -> None:
        self.neo4j.stop()
        self.s3.stop()
        with contextlib.suppress(FileNotFoundError):
            self.state_path.unlink()

    @property
    def state_path(self) -> Path:
        return self.data_dir / "stack.json"

    def write_state(self) -> None:
        state = {
            "manager_pid": os.getpid(),
            "neo4j": {
                "pid": self.neo4j.component.pid if self.neo4j.component else None,
                "uri": self.neo4j.uri,
            },
            "s3": {
                "pid": self.s3.component.pid if self.s3.component else None,
                "endpoint": self.s3.endpoint,
            },
        }
        self.state_path.write_text(json.dumps(state, indent=2))

    def environment(self) -> dict[str, str]:
        """The LINEAGE_* settings that point the service at this stack."""
        env = {
            "LINEAGE_NEO4J_URI": self.neo4j.uri,
            "LINEAGE_S3_ENDPOINT": self.s3.endpoint,
            "LINEAGE_S3_ACCESS_KEY": self.credentials.s3_access_key,
            "LINEAGE_S3_SECRET_KEY": self.credentials.s3_secret_key,
        }
        if self.credentials.neo4j_password:
            env["LINEAGE_NEO4J_PASSWORD"] = self.credentials.neo4j_password
        return env


@contextlib.contextmanager
def throwaway_stack(base: Path, cache: Path, neo4j_version: str = NEO4J_VERSION) -> Iterator[Stack]:
    """A stack on free ports with auth off and data under ``base``; stopped on exit."""
    stack = Stack(
        data_dir=base,
        cache=cache,
        bolt_port=free_port(),
        s3_port=free_port(),
        credentials=Credentials(None, "test" + secrets.token_hex(6), secrets.token_urlsafe(24)),
        heap="768m",
        pagecache="256m",
        neo4j_version=neo4j_version,
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def read_state(data_dir: Path) -> dict[str, object] | None:
    path = data_dir / "stack.json"
    if not path.exists():
        return None
    data: dict[str, object] = json.loads(path.read_text())
    return data


def pid_alive(pid: object) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
