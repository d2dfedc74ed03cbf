"""`grassroots serve` (and so `grassroots demo`, which serves the same way) stops every process it
started when it is stopped; the demo prints commands as they can be run from where it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from grassroots.cli.common import command_name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid`, read from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_stops_the_server_and_its_job_workers(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["GRASSROOTS_DATA_DIR"] = str(tmp_path)
    grassroots = [sys.executable, "-m", "grassroots.cli"]
    subprocess.run([*grassroots, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen(
        [*grassroots, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        workers = _children(server.pid)
        assert len(workers) == 2
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        assert not any(_alive(pid) for pid in workers), "a job worker outlived the server"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_commands_are_printed_as_they_can_be_run(tmp_path):
    venv_script = tmp_path / ".venv" / "bin" / "grassroots"
    venv_script.parent.mkdir(parents=True)
    venv_script.write_text("")
    assert command_name(".venv/bin/grassroots") == ".venv/bin/grassroots"
    assert command_name(str(venv_script)) == str(venv_script)
    assert command_name("/somewhere/grassroots/cli/__main__.py").endswith(" -m grassroots.cli")
