"""One platform whose endpoint hangs delays only itself (issue 13, F10).

The hanging endpoint accepts every connection and answers only when the test says so; the forwarder
runs on an injected clock, so a circuit's cool-down ends only when the test moves the clock. Verdicts
count attempts, never time.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest
from clocks import Clock  # type: ignore[import-not-found]
from delivery_support import deliveries, pump_until, push_platform  # type: ignore[import-not-found]

from flagpost import lazy
from flagpost.adapters.dynamo.circuit import DynamoCircuitBreaker
from flagpost.domain.models.principal import Role
from flagpost.wiring import feed_store, feed_table, forwarder, job_queue
from flagpost_local.harness import InProcessStack

HANGING_JOBS = 10
THRESHOLD = 3


class HangingEndpoint:
    """Accepts connections and answers none of them until `answer` is set (then 200 to each)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.answer = threading.Event()
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.attempts = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                self.attempts += 1
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        with conn:
            while not (self.answer.wait(0.05) or self.stopped.is_set()):
                pass
            if self.answer.is_set():
                try:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    def stop(self) -> None:
        self.stopped.set()
        self.server.close()


def queue_entries(platform_id: str, count: int, prefix: str) -> None:
    changes = [("upsert", {"item_id": f"itm_{prefix}{n}", "status": "confirmed"}) for n in range(count)]
    created = feed_store().append_batch(platform_id, changes, channels=["push"])  # type: ignore[arg-type]
    job_queue().queue([entry for entry, _ in created])


@pytest.fixture
def isolation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAGPOST_PUSH_TOTAL_TIMEOUT_SECONDS", "0.5")
    monkeypatch.setenv("FLAGPOST_PUSH_READ_TIMEOUT_SECONDS", "600")
    monkeypatch.setenv("FLAGPOST_FORWARD_BREAKER_FAILURES", str(THRESHOLD))
    lazy.reset()


@pytest.mark.timeout(600)
def test_a_hanging_platform_delays_only_itself(local_aws: InProcessStack, receiver: Any, isolation: None) -> None:
    hanging = HangingEndpoint()
    try:
        hung = local_aws.principals().create(Role.PLATFORM, "Hangs", endpoint=hanging.url, domains=["hang.example"])
        healthy, hook = push_platform(local_aws, receiver, domains=["ok.example"])
        lazy.reset()
        clock = Clock()
        forwarder().clock = clock  # the instance the ForwardFunction handler uses
        # Given N jobs of the hanging platform queued before one job of a healthy platform
        queue_entries(hung.principal.id, HANGING_JOBS, "h")
        queue_entries(healthy.principal.id, 1, "ok")
        # When the forwarders work through the queue
        pump_until(local_aws, lambda: deliveries(healthy.principal.id) == ["delivered"])
        # Then the healthy push went out after at most THRESHOLD unanswered attempts (plus the other
        # record of a batch of 2), not after every hanging job had timed out
        assert hanging.attempts <= THRESHOLD + 1, hanging.attempts
        assert len(hook.received) == 1
        # and the hanging platform's other jobs wait, deferred, with no attempt made or counted
        pump_until(local_aws, lambda: local_aws.pump() == 0)
        assert hanging.attempts <= THRESHOLD + 1, hanging.attempts
        assert deliveries(hung.principal.id) == ["pending"] * HANGING_JOBS
        breaker = DynamoCircuitBreaker(feed_table())
        assert breaker.admit(hung.principal.id, clock()).wait_s > 0, "the circuit is open"
    finally:
        hanging.stop()


def test_after_the_cool_down_one_probe_goes_through_and_an_answer_closes_the_circuit(local_aws: InProcessStack) -> None:
    clock = Clock()
    breaker = DynamoCircuitBreaker(feed_table(), threshold=2, cooldown_s=30, probe_lease_s=60)
    assert breaker.admit("pla_x", clock()).wait_s == 0
    breaker.failed("pla_x", clock())
    assert breaker.admit("pla_x", clock()).wait_s == 0, "one failure does not open it"
    breaker.failed("pla_x", clock())
    assert breaker.admit("pla_x", clock()).wait_s == pytest.approx(30)
    clock.advance(30)
    # Half-open: of many forwarders asking at once, exactly one probes
    admissions = [breaker.admit("pla_x", clock()) for _ in range(5)]
    assert [a.probe for a in admissions].count(True) == 1
    assert all(a.wait_s > 0 for a in admissions if not a.probe)
    # The probe fails: open again, for twice as long
    breaker.failed("pla_x", clock())
    assert breaker.admit("pla_x", clock()).wait_s == pytest.approx(60)
    clock.advance(60)
    assert breaker.admit("pla_x", clock()).probe
    # It answers: closed, every push goes
    breaker.succeeded("pla_x")
    assert breaker.admit("pla_x", clock()) == breaker.admit("pla_x", clock())
    assert not breaker.admit("pla_x", clock()).failing
