"""Stopping `grassroots serve` stops every job worker it started (issue 9), whether it is stopped
as a service manager stops it (SIGTERM) or killed outright (SIGKILL). Real processes, on a
SQLite database of their own in a temporary data directory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    data = tmp_path_factory.mktemp("serve")
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env |= {"GRASSROOTS_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1"}
    subprocess.run([sys.executable, "-m", "grassroots.cli", "migrate"], env=env, check=True, timeout=180)
    return env


def start(environment) -> tuple[subprocess.Popen, int, int]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "grassroots.cli", "serve", "--port", str(port), "--workers", "1"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def listening() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    assert wait_for(lambda: listening() and children(server.pid), 60), "the server did not start"
    (worker,) = children(server.pid)
    # The worker has started its own work (it would otherwise be stopped before it could be).
    time.sleep(2)
    return server, port, worker


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL])
def test_stopping_serve_stops_its_worker(environment, stop):
    server, _port, worker = start(environment)
    try:
        os.kill(server.pid, stop)
        server.wait(timeout=40)
        assert wait_for(lambda: not alive(worker), 20), f"the worker {worker} outlived the server"
    finally:
        for pid in (server.pid, worker):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        server.wait(timeout=10)
