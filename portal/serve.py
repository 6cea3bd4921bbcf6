"""`portal serve`: the web server, uvicorn in worker processes that take their connections from
the parent in turn.

uvicorn's own workers share one listening socket, and whichever process wakes first accepts a
burst of connections: a client that opens its connections at once and keeps them (a load test,
a proxy's keep-alive pool) was split 50 / 14 between two workers in one run and 32 / 32 in the
next, and the busier worker's queue set the p99 latency (214 against 101 ms, bench/RESULTS.md,
sixth pass). A listening socket per worker (SO_REUSEPORT) spreads them by a hash of the
client's ports, still 36 / 28 as often as 32 / 32 (seventh pass). Here the parent accepts every
connection and hands it to the workers in turn over a Unix socket (SCM_RIGHTS), so N workers
hold their share ± 1 of the connections. It also starts a worker again when one dies (the
connections that worker held are closed with it), and stops them all on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import selectors
import signal
import socket
import sys
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
STARTUP_FAILURE = 3  # uvicorn's exit code when the app's startup fails


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _die_with(parent: int) -> None:
    """Linux: have the kernel send this process SIGTERM when its parent dies (a supervisor
    killed with SIGKILL left its workers serving, orphaned)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: an orphan keeps serving, as uvicorn's do
        return
    if os.getppid() != parent:  # the parent died before the prctl
        os.kill(os.getpid(), signal.SIGTERM)


def _handed_server(config: Any, channel: socket.socket) -> Any:
    """A uvicorn server that serves the connections arriving on `channel` instead of
    accepting on a listening socket of its own."""
    import uvicorn

    class HandedServer(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            # What uvicorn.Server.startup does for its own sockets, for handed connections.
            await self.lifespan.startup()
            if self.lifespan.should_exit:
                sys.exit(STARTUP_FAILURE)
            cfg = self.config

            def create_protocol(_loop: asyncio.AbstractEventLoop | None = None):
                return cfg.http_protocol_class(config=cfg, server_state=self.server_state,
                                               app_state=self.lifespan.state, _loop=_loop)

            loop = asyncio.get_running_loop()
            self._connecting: set[asyncio.Task] = set()
            channel.setblocking(False)
            loop.add_reader(channel.fileno(), self._take, loop, create_protocol)
            self.servers = []
            self.started = True

        def _take(self, loop: asyncio.AbstractEventLoop, create_protocol) -> None:
            for _ in range(64):  # what has arrived, a message (one connection) each
                try:
                    data, fds, _, _ = socket.recv_fds(channel, 1, 1)
                except BlockingIOError:
                    return
                except OSError:
                    data, fds = b"", []
                if not data:  # the parent is gone or closed the channel: stop taking
                    loop.remove_reader(channel.fileno())
                    self.should_exit = True
                    return
                for fd in fds:
                    conn = socket.socket(fileno=fd)
                    conn.setblocking(False)
                    # The loop keeps only a weak reference to a task: hold it until it is done.
                    task = loop.create_task(loop.connect_accepted_socket(create_protocol, conn))
                    self._connecting.add(task)
                    task.add_done_callback(self._connecting.discard)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            if channel.fileno() >= 0:
                asyncio.get_running_loop().remove_reader(channel.fileno())
            await super().shutdown(sockets)

    return HandedServer(config)


def _worker(options: dict[str, Any], channel: socket.socket, parent: int) -> None:
    import uvicorn

    _die_with(parent)
    _handed_server(uvicorn.Config(**options), channel).run()


class _Worker:
    """One worker process and the parent's end of its channel."""

    def __init__(self, context: Any, options: dict[str, Any]) -> None:
        # Datagrams keep each connection's descriptor with its own message.
        self.channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = context.Process(target=_worker, args=(options, theirs, os.getpid()),
                                       name="portal-web")
        self.process.start()
        theirs.close()
        # A worker that stopped reading (hung) is skipped rather than waited for.
        self.channel.setblocking(False)
        self.started = time.monotonic()

    def hand(self, conn: socket.socket) -> bool:
        try:
            socket.send_fds(self.channel, [b"c"], [conn.fileno()])
            return True
        except OSError:  # the worker died (its channel is closed) or is not reading
            return False

    def close(self) -> None:
        self.channel.close()


def _hand_out(listener: socket.socket, workers: list[_Worker], lock: threading.Lock,
              stop: threading.Event) -> None:
    """Accept connections and hand each to the next worker that takes it."""
    turn = 0
    with selectors.DefaultSelector() as selector:
        selector.register(listener, selectors.EVENT_READ)
        while not stop.is_set():
            if not selector.select(timeout=0.2):
                continue
            try:
                conn, _ = listener.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                continue
            except OSError as exc:  # out of descriptors or memory: the next one may pass
                if stop.is_set():
                    return
                log.warning("web: accept failed: %s", exc)
                time.sleep(0.1)
                continue
            with conn, lock:
                for _ in range(len(workers)):
                    worker = workers[turn % len(workers)]
                    turn += 1
                    if worker.hand(conn):
                        break
                # No worker took it (all dying): closing it refuses the client.


def serve(options: dict[str, Any], host: str, port: int, workers: int) -> int:
    """Run `workers` uvicorn processes with `options` (uvicorn.Config's keywords) on
    host:port until SIGTERM or SIGINT; 1 if a worker could not start."""
    listener = listening_socket(host, port)
    listener.setblocking(False)
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()
    lock = threading.Lock()

    def stopping(signum, _frame) -> None:
        stop.set()

    previous = {s: signal.signal(s, stopping) for s in (signal.SIGTERM, signal.SIGINT)}
    log.info("web: %d workers on http://%s:%d", workers, host, listener.getsockname()[1])
    running = [_Worker(context, options) for _ in range(workers)]
    handing = threading.Thread(target=_hand_out, args=(listener, running, lock, stop),
                               name="portal-accept", daemon=True)
    handing.start()
    failed = False
    try:
        while not stop.wait(0.5):
            for i, worker in enumerate(running):
                process = worker.process
                if process.is_alive():
                    continue
                if process.exitcode > 0 and time.monotonic() - worker.started < STARTUP_GRACE:
                    log.error("web worker %s exited at start (code %s): stopping",
                              process.pid, process.exitcode)
                    failed = True
                    stop.set()
                    break
                log.warning("web worker %s exited (code %s): starting another",
                            process.pid, process.exitcode)
                # Started outside the lock: the hand-out skips the dead one meanwhile.
                replacement = _Worker(context, options)
                with lock:
                    worker.close()
                    running[i] = replacement
    finally:
        stop.set()
        handing.join()
        listener.close()  # no new connections from here on
        for worker in running:
            if worker.process.is_alive():
                worker.process.terminate()  # SIGTERM: uvicorn finishes the requests in hand
        deadline = time.monotonic() + STOP_TIMEOUT
        for worker in running:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 1 if failed else 0
