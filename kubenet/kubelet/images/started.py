"""How our image programs tell the kubelet they are up, as a real image's binary is a few ms after exec.

A container counts as started (and, without a readiness probe, ready, so its Pod's endpoints go live) when its
process exists. A real httpd or nginx is listening by then; our Python stand-ins need ~60 ms (seconds on a
loaded machine) of interpreter start-up and imports first, and kube-proxy could route to a Pod whose port
still refuses. So the kubelet hands the programs that serve (catalog.reports_start) the write end of a pipe,
named in STARTED_FD_ENV, and waits (bounded) until they write to it once bound, or exit."""
from __future__ import annotations

import os

STARTED_FD_ENV = "KUBENET_STARTED_FD"


def report_started() -> None:
    """Tell the kubelet this program's sockets are bound; a no-op when it did not ask, or after the first call."""
    fd = os.environ.pop(STARTED_FD_ENV, None)
    if fd is None:
        return
    try:
        os.write(int(fd), b"1")
        os.close(int(fd))
    except (OSError, ValueError):
        pass  # the kubelet stopped waiting; nothing to tell
