"""Process-level hooks shared by every client: interpreter exit, SIGTERM, uncaught exceptions and
``fork``. Installed once, on the first client; each hook walks the live clients.

- exit: unfinished runs end (COMPLETED, or FAILED when an uncaught exception ends the program),
  then each client flushes for a bounded time and says how many events remain spooled.
- SIGTERM: active runs are marked KILLED and flushed, then the previous handler runs (the
  default one terminates the process as usual).
- fork: a child process (e.g. a data-loader worker) never shares the parent's spool segment or
  sender thread; it starts its own the first time it logs.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import weakref
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lineagegraph.sdk.client import Client

_clients: weakref.WeakSet[Client] = weakref.WeakSet()
_installed = False
_install_lock = threading.Lock()
_previous_sigterm: Any = None
_uncaught: BaseException | None = None
#: a SIGTERM that arrived while this thread was inside a spool append; handled right after it
deferred_sigterm: tuple[int, FrameType | None] | None = None
_previous_excepthook = sys.excepthook


def uncaught_exception() -> BaseException | None:
    return _uncaught


def register(client: Client, *, handle_sigterm: bool) -> None:
    global _installed
    with _install_lock:
        _clients.add(client)
        if _installed:
            return
        _installed = True
        atexit.register(_at_exit)
        sys.excepthook = _excepthook
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork_in_child)
    if handle_sigterm:
        install_sigterm()


def unregister(client: Client) -> None:
    _clients.discard(client)


def install_sigterm() -> bool:
    """Install the SIGTERM hook when possible (main thread; SIGTERM not ignored)."""
    global _previous_sigterm
    if threading.current_thread() is not threading.main_thread():
        return False
    current = signal.getsignal(signal.SIGTERM)
    if current is _on_sigterm:
        return True
    if current is signal.SIG_IGN:
        return False
    _previous_sigterm = current
    signal.signal(signal.SIGTERM, _on_sigterm)
    return True


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    global _uncaught
    _uncaught = value
    _previous_excepthook(kind, value, tb)


def _at_exit() -> None:
    for client in list(_clients):
        client._at_exit()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    global deferred_sigterm
    clients = list(_clients)
    if not all(client._can_take_signal() for client in clients):
        # The signal interrupted a spool append in this very thread: appending now would
        # interleave two records. The append finishes first, then calls run_deferred().
        deferred_sigterm = (signum, frame)
        return
    deferred_sigterm = None
    for client in clients:
        client._on_sigterm()
    previous = _previous_sigterm
    if callable(previous):
        previous(signum, frame)
        return
    if previous in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def run_deferred() -> None:
    pending = deferred_sigterm
    if pending is not None:
        _on_sigterm(*pending)


def _after_fork_in_child() -> None:
    for client in list(_clients):
        client._after_fork_in_child()
