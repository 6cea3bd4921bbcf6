"""The RQ worker class of `portal worker`."""

from __future__ import annotations

from rq import SimpleWorker

# How long a stopping worker waits for its pub/sub thread (RQ's commands channel).
PUBSUB_STOP_WAIT = 1.0


class PortalWorker(SimpleWorker):
    """RQ's `SimpleWorker` (jobs run in the worker process, see `portal.cli.cmd_worker`) whose
    stop does not hang.

    RQ reads its commands channel in a thread that waits up to 60 s for a subscription, and
    stops it with redis-py's `PubSubWorkerThread.stop()`, which since redis-py 8 joins the
    thread without a time limit: once the unsubscription was confirmed, every stop — SIGTERM,
    the end of a `--burst` run — waited up to a minute (tests timed out; `portal dev`'s stop
    and a systemd restart waited too). The thread is a daemon: stop it with a bounded wait.
    """

    def unsubscribe(self) -> None:
        if self.pubsub_thread:
            self.log.info("Worker %s: unsubscribing from channel %s", self.name,
                          self.pubsub_channel_name)
            self.pubsub.unsubscribe()
            self.pubsub_thread.stop(timeout=PUBSUB_STOP_WAIT)
