"""`flagpost local` at rest and at Ctrl-C: the idle CPU of the whole stack, and how soon it stops with a backlog.

Idle: `flagpost local` in its own process (the emulator, the gateway, a worker process per function,
the event sources), left alone after it is up; the CPU time (user + system, from /proc) of the process
and all its workers over a window of wall time, as a share of one core. The pollers long-poll SQS,
block until a stream gets a record and sleep until a schedule is due, so an idle stack should cost
next to nothing (it cost 15-21% of a core when they polled every 50 ms).

Stop: 500 new reports submitted (5 signed webhooks), then Ctrl-C (SIGINT to the process group, as a
terminal sends it) as soon as the dispatcher has started on the items stream's backlog; the figure is
the wall time until the process has exited.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
IDLE_GOAL = 0.03
STOP_GOAL_S = 10.0


def _backlog(stack: Any, reports: int) -> None:
    import requests

    from flagpost.domain.webhooks import sign

    flagger = stack.credentials["flaggers"][0]
    session = requests.Session()
    tag = uuid.uuid4().hex
    for batch in range(reports // 100):
        body = json.dumps(
            {
                "reports": [
                    {
                        "url": f"https://example.org/bench-stop/{tag}/{batch}/{i}",
                        "category": "threat",
                        "description": "x",
                    }
                    for i in range(100)
                ]
            }
        ).encode()
        headers = {"content-type": "application/json", **sign(body, flagger["secret"], f"{tag}-{batch}")}
        reply = session.post(
            f"{stack.api}/v1/flaggers/{flagger['id']}/reports", data=body, headers=headers, timeout=120
        )
        assert reply.status_code == 202, reply.text


def run(quick: bool = False) -> list[dict[str, Any]]:
    from flagpost_local.process import cpu_share, start_local

    window_s = 3.0 if quick else 20.0
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_local(Path(tmp) / "idle", cwd=REPO, own_group=True)
        try:
            time.sleep(2.0)  # let the start's last imports and first long polls settle
            idle = cpu_share(stack.process.pid, window_s)
            _backlog(stack, 100 if quick else 500)
            deadline = time.monotonic() + 120
            while not any('"function": "DispatchFunction"' in line for line in stack.output):
                if time.monotonic() > deadline:
                    raise AssertionError("the dispatcher never started on the backlog")
                time.sleep(0.05)
        finally:
            started = time.monotonic()
            stack.stop()
            stop_s = time.monotonic() - started
    return [
        {
            "benchmark": "local",
            "figure": f"idle flagpost local CPU, process and workers, share of one core over {window_s:.0f} s",
            "value": idle * 100,
            "unit": "%",
            "goal": f"< {IDLE_GOAL * 100:.0f}",
            "met": idle < IDLE_GOAL,
        },
        {
            "benchmark": "local",
            "figure": f"Ctrl-C to exit with a {100 if quick else 500}-report backlog being dispatched",
            "value": stop_s,
            "unit": "s",
            "goal": f"<= {STOP_GOAL_S:.0f}",
            "met": stop_s <= STOP_GOAL_S,
        },
    ]
