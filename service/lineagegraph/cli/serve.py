"""``lineage serve``: run the service with uvicorn against already running Neo4j and S3."""

from __future__ import annotations

import argparse
import contextlib
import signal
from collections.abc import Iterator
from typing import Any

from lineagegraph.config import Settings, load_settings

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def register(sub: Any) -> None:
    parser = sub.add_parser("serve", help="run the Lineage Graph service")
    parser.add_argument("--host", help="address to bind (default: settings.host)")
    parser.add_argument("--port", type=int, help="port to bind (default: settings.port)")
    parser.set_defaults(handler=run)


def serve(settings: Settings) -> None:
    import uvicorn

    class _QuietServer(uvicorn.Server):
        """Uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown, which ends in a
        KeyboardInterrupt traceback; here a signal only asks the server to exit."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            previous = {s: signal.signal(s, self.handle_exit) for s in _SIGNALS}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    from lineagegraph.app import create_app

    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    _QuietServer(config).run()


def run(args: argparse.Namespace) -> int:
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = load_settings(**overrides)
    serve(settings)
    return 0
