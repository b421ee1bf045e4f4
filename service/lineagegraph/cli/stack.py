"""``lineage stack up|down|status``: the local Neo4j + S3 (+ service) from deploy/local."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from typing import Any

from lineagegraph.cli._localstack import stack_module
from lineagegraph.config import Settings, load_settings


def register(sub: Any) -> None:
    parser = sub.add_parser("stack", help="install and run the local Neo4j and S3 servers")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = actions.add_parser("up", help="start Neo4j and S3 (and the service with --serve)")
    up.add_argument("--serve", action="store_true", help="also run the service in the foreground")
    up.set_defaults(handler=up_command)
    install = actions.add_parser("install", help="install Neo4j and versitygw into the cache")
    install.add_argument(
        "--next",
        action="store_true",
        help="also the newest Neo4j calendar release the tests check the Cypher on",
    )
    install.set_defaults(handler=install_command)
    down = actions.add_parser("down", help="stop a stack started by `stack up`")
    down.set_defaults(handler=down_command)
    status = actions.add_parser("status", help="show what runs")
    status.set_defaults(handler=status_command)


def _stack(settings: Settings) -> Any:
    mod = stack_module()
    data_dir = settings.data_dir.resolve()
    return mod.Stack(
        data_dir=data_dir,
        cache=settings.cache_dir.resolve(),
        bolt_port=settings.neo4j_bolt_port,
        s3_port=settings.s3_port,
        credentials=mod.Credentials.load_or_create(data_dir / "credentials.json"),
        heap=settings.neo4j_heap,
        pagecache=settings.neo4j_pagecache,
    )


def install_command(args: argparse.Namespace) -> int:
    mod = stack_module()
    cache = load_settings().cache_dir.resolve()
    # the binaries only: no data folder, no credentials (those are `stack up`'s)
    versions = [mod.NEO4J_VERSION, mod.NEO4J_NEXT_VERSION] if args.next else [mod.NEO4J_VERSION]
    mod.install(cache, versions)
    return 0


def up_command(args: argparse.Namespace) -> int:
    mod = stack_module()
    settings = load_settings()
    state = mod.read_state(settings.data_dir.resolve())
    if state and mod.pid_alive(state.get("manager_pid")):
        print(
            f"a stack already runs (manager pid {state['manager_pid']}): `lineage stack down`",
            file=sys.stderr,
        )
        return 1
    if args.serve:
        mod.check_port_free(settings.port, "the Lineage Graph service")
    stack = _stack(settings)

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        stack.start()
        env = stack.environment()
        print(
            f"Neo4j {stack.neo4j.uri}  S3 {stack.s3.endpoint}  data {stack.data_dir}",
            file=sys.stderr,
        )
        if args.serve:
            from lineagegraph.cli.serve import serve

            overrides = {k.removeprefix("LINEAGE_").lower(): v for k, v in env.items()}
            serve(load_settings(**overrides))
        else:
            while stack.neo4j.alive() and stack.s3.alive():
                time.sleep(1)
    except mod.StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping Neo4j and S3 ...", file=sys.stderr)
        stack.stop()
    return 0


def down_command(args: argparse.Namespace) -> int:
    mod = stack_module()
    settings = load_settings()
    state = mod.read_state(settings.data_dir.resolve())
    if not state or not mod.pid_alive(state.get("manager_pid")):
        print("no stack runs", file=sys.stderr)
        return 0
    pid = int(state["manager_pid"])
    os.kill(pid, signal.SIGTERM)
    for _ in range(120):
        if not mod.pid_alive(pid):
            print("stopped", file=sys.stderr)
            return 0
        time.sleep(0.5)
    print(f"manager pid {pid} did not stop within 60 s", file=sys.stderr)
    return 1


def status_command(args: argparse.Namespace) -> int:
    mod = stack_module()
    settings = load_settings()
    state = mod.read_state(settings.data_dir.resolve())
    if not state:
        print("no stack runs")
        return 1
    for name in ("neo4j", "s3"):
        part = state[name]
        assert isinstance(part, dict)
        alive = "up" if mod.pid_alive(part.get("pid")) else "down"
        where = part.get("uri") or part.get("endpoint")
        print(f"{name:6} {alive:5} pid {part.get('pid')}  {where}")
    return 0
