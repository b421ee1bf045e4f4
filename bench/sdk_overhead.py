"""What logging costs a real training loop: Lineage Graph against MLflow 3 async logging.

A NumPy logistic regression (batch sized so one step takes about 1 ms) runs N steps and logs
five metrics per step, three ways: without logging, with Lineage Graph (``run.log_metrics``)
and with MLflow 3 (``mlflow.log_metrics(..., synchronous=False)``) against a local MLflow
tracking server. Each tracker's service runs in its own process, as in production. Reported:
loop wall time, ratio to no logging, training-thread time per logged step, and the time from the
loop's end until every event is stored (checked by reading the series back).

    .venv/bin/python bench/sdk_overhead.py [--steps 5000] [--repeats 3] [--no-mlflow]

Needs the `bench` extra (mlflow) and the local stack's Neo4j + S3 (started throw-away here).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
Log = Callable[[int, dict[str, float]], None]


# --- the training loop -------------------------------------------------------------------------
@dataclass
class Problem:
    x: np.ndarray
    y: np.ndarray


def make_problem(rows: int, features: int = 128, seed: int = 0) -> Problem:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, features))
    y = (x @ rng.standard_normal(features) + 0.5 * rng.standard_normal(rows) > 0).astype(float)
    return Problem(x, y)


def train(problem: Problem, steps: int, log: Log | None) -> tuple[float, float]:
    """Returns (loop wall seconds, seconds spent inside the log calls)."""
    x, y = problem.x, problem.y
    w = np.zeros(x.shape[1])
    lr = 0.1
    in_log = 0.0
    started = time.perf_counter()
    for step in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) / len(y)
        w -= lr * grad
        if log is not None:
            metrics = {
                "loss": float(-np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))),
                "accuracy": float(np.mean((p > 0.5) == y)),
                "grad_norm": float(np.linalg.norm(grad)),
                "weight_norm": float(np.linalg.norm(w)),
                "lr": lr,
            }
            t = time.perf_counter()
            log(step, metrics)
            in_log += time.perf_counter() - t
        else:  # same arithmetic, nothing logged
            float(-np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))
            float(np.mean((p > 0.5) == y))
            float(np.linalg.norm(grad))
            float(np.linalg.norm(w))
    return time.perf_counter() - started, in_log


def calibrate(target_ms: float = 1.0) -> Problem:
    rows = 2048
    for _ in range(6):
        problem = make_problem(rows)
        train(problem, 50, None)
        seconds, _ = train(problem, 300, None)
        per_step = seconds / 300 * 1000
        if abs(per_step - target_ms) < 0.1 * target_ms:
            break
        rows = max(256, int(rows * target_ms / per_step))
    return problem


# --- services ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


@contextlib.contextmanager
def process(cmd: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


SERVE = """
import sys
from lineagegraph.cli.serve import serve
from lineagegraph.config import load_settings
port, neo4j, password, s3, access, secret = sys.argv[1:7]
serve(load_settings(port=int(port), neo4j_uri=neo4j, neo4j_password=password or None,
      s3_endpoint=s3, s3_access_key=access, s3_secret_key=secret, log_level="warning"))
"""


@contextlib.contextmanager
def lineage_service(work: Path) -> Iterator[str]:
    from lineagegraph.cli._localstack import stack_module

    stack_mod = stack_module()
    with stack_mod.throwaway_stack(work / "stack", ROOT / ".cache") as stack:
        port = free_port()
        creds = stack.credentials
        cmd = [
            sys.executable,
            "-c",
            SERVE,
            str(port),
            stack.neo4j.uri,
            creds.neo4j_password or "",
            stack.s3.endpoint,
            creds.s3_access_key,
            creds.s3_secret_key,
        ]
        with process(cmd, work / "service.log"):
            url = f"http://127.0.0.1:{port}"
            wait_http(url + "/readyz")
            yield url


@contextlib.contextmanager
def mlflow_server(work: Path) -> Iterator[str]:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        f"sqlite:///{work / 'mlflow.db'}",
        "--default-artifact-root",
        str(work / "mlflow-artifacts"),
    ]
    with process(cmd, work / "mlflow.log"):
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/health", timeout=180)
        yield url


# --- the three ways ----------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    wall: float
    in_log: float
    drain: float | None  # seconds from the loop's end until everything is stored
    stored: int | None  # points read back per metric


KEYS = ("loss", "accuracy", "grad_norm", "weight_norm", "lr")


def run_plain(problem: Problem, steps: int) -> Result:
    wall, _ = train(problem, steps, None)
    return Result("no logging", wall, 0.0, None, None)


def run_lineage(problem: Problem, steps: int, url: str, work: Path) -> Result:
    import lineagegraph as lg

    client = lg.Client(url=url, spool_dir=work / "spool", handle_sigterm=False)
    run = client.start_run("bench-logreg", config={"steps": steps}, seed=0)

    def log(step: int, metrics: dict[str, float]) -> None:
        run.log_metrics(metrics, step=step)

    wall, in_log = train(problem, steps, log)
    end = time.perf_counter()
    remaining = client.flush(60)
    counts = [len(client.get_run(run.ref).metrics(key)) for key in KEYS]
    drain = time.perf_counter() - end
    run.end()
    client.close(30)
    if remaining or set(counts) != {steps}:
        raise RuntimeError(f"Lineage Graph lost events: remaining={remaining}, counts={counts}")
    return Result("Lineage Graph", wall, in_log, drain, counts[0])


def run_mlflow(problem: Problem, steps: int, url: str) -> Result:
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(url)
    mlflow.set_experiment("bench")
    with mlflow.start_run() as active:

        def log(step: int, metrics: dict[str, float]) -> None:
            mlflow.log_metrics(metrics, step=step, synchronous=False)

        wall, in_log = train(problem, steps, log)
        end = time.perf_counter()
        mlflow.flush_async_logging()
        counts = [
            len(MlflowClient(url).get_metric_history(active.info.run_id, key)) for key in KEYS
        ]
        drain = time.perf_counter() - end
    return Result("MLflow 3 async", wall, in_log, drain, counts[0])


def table(results: list[Result], steps: int) -> str:
    base = statistics.median(r.wall for r in results if r.name == "no logging")
    rows = [
        "| setup | loop wall (s) | vs no logging | training-thread time per step | "
        "stored within | points per metric |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("no logging", "Lineage Graph", "MLflow 3 async"):
        mine = [r for r in results if r.name == name]
        if not mine:
            continue
        wall = statistics.median(r.wall for r in mine)
        per_step = statistics.median(r.in_log for r in mine) / steps * 1e6
        drains = [r.drain for r in mine if r.drain is not None]
        drain = f"{max(drains):.2f} s" if drains else "-"
        stored = mine[0].stored if mine[0].stored is not None else "-"
        rows.append(
            f"| {name} | {wall:.3f} | {wall / base:.4f}x ({(wall / base - 1) * 100:+.2f}%) | "
            f"{per_step:.1f} µs | {drain} | {stored} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each setup (median)")
    parser.add_argument("--no-mlflow", action="store_true")
    args = parser.parse_args(argv)
    # a SIGTERM unwinds the with-blocks, so the servers started here are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    problem = calibrate()
    per_step, _ = train(problem, 500, None)
    print(
        f"problem: {problem.x.shape[0]} rows x {problem.x.shape[1]} features, "
        f"{per_step / 500 * 1000:.2f} ms per step",
        flush=True,
    )
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as tmp:
        work = Path(tmp)
        with contextlib.ExitStack() as services:
            url = services.enter_context(lineage_service(work))
            ml_url = None if args.no_mlflow else services.enter_context(mlflow_server(work))
            for repeat in range(args.repeats):
                # interleaved, so drifting machine load hits every setup alike
                results.append(run_plain(problem, args.steps))
                results.append(run_lineage(problem, args.steps, url, work / f"lg{repeat}"))
                if ml_url is not None and repeat == 0:
                    results.append(run_mlflow(problem, args.steps, ml_url))
                print(f"repeat {repeat + 1}/{args.repeats} done", flush=True)
    print()
    print(
        f"{args.steps} steps, 5 metrics per step, median of {args.repeats} runs (MLflow: one run)"
    )
    print(table(results, args.steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
