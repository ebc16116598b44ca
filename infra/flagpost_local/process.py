"""Starts `flagpost local` as a child process on a free loopback port and waits until it serves."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

# Both bound a hang, never a slow start or stop: a busy two-core machine takes over 30 s to start the stack.
START_TIMEOUT_S = 300
STOP_TIMEOUT_S = 120


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    api: str
    credentials: dict[str, Any]
    credentials_file: Path
    started_in_s: float
    output: list[str] = field(default_factory=list)
    own_group: bool = False

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> int:
        """Ctrl-C, as a user would (to the whole process group, as a terminal does, when the stack has
        one of its own); a stack that has not exited after `timeout_s` is killed (and fails)."""
        if self.process.poll() is None:
            if self.own_group:
                os.killpg(self.process.pid, signal.SIGINT)
            else:
                self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def _pump(stream: IO[str], sink: queue.Queue[str], lines: list[str]) -> None:
    for line in stream:
        lines.append(line)
        sink.put(line)


def start_local(
    tmp: Path, *extra: str, cwd: Path | None = None, env: dict[str, str] | None = None, own_group: bool = False
) -> RunningStack:
    """Run `flagpost local --port 0` writing credentials under `tmp`; return once it answers.

    With `own_group`, the stack and its workers form a process group of their own, which `stop()`
    signals as a terminal's Ctrl-C does."""
    creds = tmp / "credentials.json"
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, "-m", "flagpost_cli", "local", "--port", "0", "--credentials-out", str(creds), *extra],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        process_group=0 if own_group else None,
    )
    lines: list[str] = []
    sink: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=_pump, args=(process.stdout, sink, lines), daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            line = sink.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            raise AssertionError("flagpost local did not start:\n" + "".join(lines)) from None
        if line.startswith("{") and '"flagpost local is up"' in line:
            api = json.loads(line)["api"]
            break
    return RunningStack(
        process=process,
        api=api,
        credentials=json.loads(creds.read_text()),
        credentials_file=creds,
        started_in_s=time.monotonic() - started,
        output=lines,
        own_group=own_group,
    )


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants, from /proc (Linux)."""
    found = [pid]
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [p for child in children.read_text().split() for p in _tree(int(child))]
        except OSError:  # the thread or the process ended meanwhile
            continue
    return found


def tree_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU time (user + system, seconds) of `pid` and each live descendant, by process id (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for process in _tree(pid):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[process] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return out


def cpu_share(pid: int, window_s: float, sleep: Any = time.sleep) -> float:
    """The share of one core that `pid` and its workers used over `window_s` seconds of wall time."""
    before = tree_cpu_seconds(pid)
    started = time.monotonic()
    sleep(window_s)
    after = tree_cpu_seconds(pid)
    elapsed = time.monotonic() - started
    return sum(seconds - before.get(process, 0.0) for process, seconds in after.items()) / elapsed
