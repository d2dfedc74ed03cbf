"""Stopping `grassroots serve` (and so `grassroots demo`, which serves the same way) stops every
job worker it started, whether it is stopped as a service manager stops it (SIGTERM), from a
terminal (SIGHUP, SIGINT) or killed outright (SIGKILL); and commands are printed as they can be
run from where they were started. Real processes, on a SQLite database of their own in a
temporary data directory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grassroots.cli.common import command_name


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """The process's children, whichever of its threads started them."""
    found = []
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in path.read_text().split()]
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
    return found


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


def start(environment, workers: int) -> tuple[subprocess.Popen, list[int]]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "grassroots.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def listening() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    assert wait_for(lambda: listening() and len(children(server.pid)) == workers, 60), "the server did not start"
    # The workers have started their own work (they would otherwise be stopped before they could be).
    time.sleep(2)
    return server, children(server.pid)


@pytest.mark.parametrize(
    "stop, workers", [(signal.SIGTERM, 2), (signal.SIGHUP, 1), (signal.SIGINT, 1), (signal.SIGKILL, 1)]
)
def test_stopping_serve_stops_its_workers(environment, stop, workers):
    server, started = start(environment, workers)
    assert len(started) == workers
    try:
        os.kill(server.pid, stop)
        code = server.wait(timeout=40)
        if stop == signal.SIGTERM:
            assert code == 0  # a service manager's stop is a clean exit
        for worker in started:
            assert wait_for(lambda worker=worker: not alive(worker), 20), f"the worker {worker} outlived the server"
    finally:
        for pid in (server.pid, *started):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        server.wait(timeout=10)


def test_a_worker_that_stops_by_itself_is_started_again(environment):
    """A job worker that dies while `serve` runs (killed here; a database error it could not
    survive in the trial) is replaced, so jobs queued from the pages do not wait for nobody."""
    server, (first,) = start(environment, 1)
    try:
        os.kill(first, signal.SIGKILL)
        assert wait_for(lambda: [pid for pid in children(server.pid) if pid != first and alive(pid)], 30)
        (second,) = [pid for pid in children(server.pid) if pid != first]
        os.kill(server.pid, signal.SIGTERM)
        assert server.wait(timeout=40) == 0
        assert wait_for(lambda: not alive(second), 20), "the new worker outlived the server"
    finally:
        for pid in (server.pid, *children(server.pid)):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        server.wait(timeout=10)


def test_commands_are_printed_as_they_can_be_run(tmp_path):
    venv_script = tmp_path / ".venv" / "bin" / "grassroots"
    venv_script.parent.mkdir(parents=True)
    venv_script.write_text("")
    assert command_name(".venv/bin/grassroots") == ".venv/bin/grassroots"
    assert command_name(str(venv_script)) == str(venv_script)
    assert command_name("/somewhere/grassroots/cli/__main__.py").endswith(" -m grassroots.cli")
