"""The local stack's outbox: every e-mail the emulator's SES accepted, also written as an `.eml` file.

`flagpost local` hosts the emulator in its own process, so the messages the forwarder's workers sent
through SES are in this process's memory: this copies each new one to `<folder>/<notice id>.eml`,
the raw MIME message as sent, for a developer to open in any mail client. A message sent twice (a
retry SES had accepted) is the same notice and overwrites its own file.
"""

from __future__ import annotations

import re
import threading
from email import message_from_string
from pathlib import Path

NOTICE_HEADER = "X-Flagpost-Notice-Id"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


class Outbox:
    def __init__(self, folder: Path, region: str, account_id: str | None = None) -> None:
        from moto.core.models import DEFAULT_ACCOUNT_ID

        self.folder = folder
        self.region = region
        self.account_id = account_id or DEFAULT_ACCOUNT_ID
        self._seen = 0

    def collect(self) -> list[Path]:
        """Write the messages sent since the last call; the files written."""
        from moto.ses.models import RawMessage, ses_backends

        sent = ses_backends[self.account_id][self.region].sent_messages
        new, self._seen = sent[self._seen :], len(sent)
        written = []
        for message in new:
            if isinstance(message, RawMessage):
                written.append(self._write(message.id, message.raw_data))
        return written

    def _write(self, ses_id: str, raw: str) -> Path:
        notice_id = message_from_string(raw).get(NOTICE_HEADER) or ses_id
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{_UNSAFE.sub('_', str(notice_id))[:100]}.eml"
        # Written whole, then renamed: whoever watches the folder never opens half a message.
        partial = path.with_suffix(".eml.partial")
        partial.write_bytes(raw.encode())
        partial.replace(path)
        return path

    def run(self, stop: threading.Event, interval_s: float = 0.2) -> None:
        """Collect until `stop` is set, then once more so that nothing sent before it is missed."""
        while not stop.wait(interval_s):
            self.collect()
        self.collect()
