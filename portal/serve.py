"""`portal serve`: the web server, uvicorn in worker processes that each accept on a listening
socket of their own.

uvicorn's own workers share one listening socket, and whichever process wakes first accepts a
burst of connections: a client that opens its connections at once and keeps them (a load test,
a proxy's keep-alive pool) was split 50 / 14 between two workers in one run and 32 / 32 in the
next, and the busier worker's queue set the p99 latency (214 against 101 ms, bench/RESULTS.md,
sixth pass). Here each worker has its own socket on the port (SO_REUSEPORT) and the kernel
spreads new connections over them by a hash of their addresses. The parent only holds the
sockets, starts a worker again when one dies, and stops them all on SIGTERM or SIGINT.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Any

log = logging.getLogger("uvicorn.error")

# A worker that exits with an error code sooner than this after its start could not start
# (uvicorn exits 1 or 3 when the app does not load or its startup fails: a bad setting, a
# missing module): stop instead of starting it again and again. One killed by a signal
# (an OOM kill, an operator's kill -9) is started again.
STARTUP_GRACE = 5.0
STOP_TIMEOUT = 30.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` listening sockets on one address, each for one worker."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    for _ in range(count):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        port = sock.getsockname()[1]  # port 0: the others take the port the first got
        sock.listen(2048)
        sock.set_inheritable(True)
        sockets.append(sock)
    return sockets


def _die_with(parent: int) -> None:
    """Linux: have the kernel send this process SIGTERM when its parent dies (a supervisor
    killed with SIGKILL left its workers serving on their sockets, orphaned)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: an orphan keeps serving, as uvicorn's do
        return
    if os.getppid() != parent:  # the parent died before the prctl
        os.kill(os.getpid(), signal.SIGTERM)


def _worker(options: dict[str, Any], sock: socket.socket, parent: int) -> None:
    import uvicorn

    _die_with(parent)
    config = uvicorn.Config(**options)
    uvicorn.Server(config).run(sockets=[sock])


def serve(options: dict[str, Any], host: str, port: int, workers: int) -> int:
    """Run `workers` uvicorn processes with `options` (uvicorn.Config's keywords) on
    host:port until SIGTERM or SIGINT; 1 if a worker could not start."""
    sockets = listening_sockets(host, port, workers)
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def start(sock: socket.socket):
        process = context.Process(target=_worker, args=(options, sock, os.getpid()),
                                  name="portal-web")
        process.start()
        return process, time.monotonic()

    def stopping(signum, _frame) -> None:
        stop.set()

    previous = {s: signal.signal(s, stopping) for s in (signal.SIGTERM, signal.SIGINT)}
    log.info("web: %d workers on http://%s:%d", workers, host, sockets[0].getsockname()[1])
    running = [start(sock) for sock in sockets]
    failed = False
    try:
        while not stop.wait(0.5):
            for i, (process, started) in enumerate(running):
                if process.is_alive():
                    continue
                if process.exitcode > 0 and time.monotonic() - started < STARTUP_GRACE:
                    log.error("web worker %s exited at start (code %s): stopping",
                              process.pid, process.exitcode)
                    failed = True
                    stop.set()
                    break
                log.warning("web worker %s exited (code %s): starting another",
                            process.pid, process.exitcode)
                running[i] = start(sockets[i])
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in hand
        deadline = time.monotonic() + STOP_TIMEOUT
        for process, _ in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sock in sockets:
            sock.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 1 if failed else 0
