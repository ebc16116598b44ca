"""A feed entry as one e-mail: the notice readable (text/plain and text/html) and whole (a JSON attachment).

Built with the stdlib `email` package from what Flagpost stored; reported content is never fetched.
Everything that came from a flagger is hostile: in HTML every value is escaped and no URL is a link
(no `<a>` at all); every URL stands beside its defanged form, so that a client that links URLs by
itself still shows the safe form; control and bidi characters are shown as `<U+202E>` instead of
acting on the text around them; headers hold only our own values (ids, category, platform name) and
names without line breaks. The Message-ID derives from the entry, so a retry is the same notice (SES
replaces Message-ID when it sends: `X-Flagpost-Notice-Id` carries the same id through).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any

from flagpost.domain.models.feed import FeedEntry
from flagpost.domain.models.notice import Notifier

_SCHEME = re.compile(r"^(h|f)tt?(ps?)?(?=:)", re.I)
_HOST = re.compile(r"^([a-z][a-z0-9+.-]*://)?([^/?#]*)(.*)$", re.I | re.S)
_SAFE_WORD = re.compile(r"[^a-z0-9_.-]")


# What a mail client's linkifier turns into a link inside a longer text: a scheme's `://` and the host
# after it, a `www.` host, and a bare host name ending in a letters-only label (`evil.example/x`).
_LINKABLE = re.compile(
    r"""(?ix)
    (?:\b[a-z][a-z0-9+.-]*:)?//[^\s/?#&<>"'()\[\]]*     # scheme://host, or //host
    | \bwww\.[^\s/?#&<>"'()]*                            # www.host
    | (?<![\w@.\[-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,63}\b(?![\w@-])   # bare.host
    """
)
_BARE_DOT = re.compile(r"(?<!\[)\.(?!\])")


def _defang_link(token: str) -> str:
    """One linkable token: its scheme defanged (`hxxps`), every dot of its host bracketed."""
    token = _SCHEME.sub(lambda m: m.group(1).lower() + "xxp" + (m.group(2) or "")[1:], token, count=1)
    return _BARE_DOT.sub("[.]", token)


def defang(url: str) -> str:
    """`https://t.me/x` -> `hxxps://t[.]me/x`: the form that no client turns into a link. A URL inside
    the path or query (`?u=https://evil.example/`) and a scheme-relative `//host` are defanged too;
    the path's own dots stay (`/p.q`)."""
    url = _SCHEME.sub(lambda m: m.group(1).lower() + "xxp" + (m.group(2) or "")[1:], url, count=1)
    match = _HOST.match(url)
    if match is None:
        return url.replace(".", "[.]")
    scheme, host, rest = match.groups()
    if not scheme and not host and rest.startswith("//"):  # scheme-relative: //host/path
        host, rest = re.match(r"//([^/?#]*)(.*)", rest, re.S).groups()  # type: ignore[union-attr]
        scheme = "//"
    return (scheme or "") + _BARE_DOT.sub("[.]", host) + _defang_nested(rest)


def _defang_nested(rest: str) -> str:
    """Links inside a URL's path or query (`scheme://host`, `//host`, `www.host`), not its own path's dots."""
    return re.sub(
        r"(?i)(?:\b[a-z][a-z0-9+.-]*:)?//[^\s/?#&<>\"']*|\bwww\.[^\s/?#&<>\"']*",
        lambda m: _defang_link(m.group(0)),
        rest,
    )


def defang_text(text: str) -> str:
    """Every link a mail client would make in free text (a report's description, a flagger's entity)
    shown defanged; the exact text is in the notice's JSON attachment."""
    return _LINKABLE.sub(lambda m: _defang_link(m.group(0)), text)


def visible(text: str, *, lines: bool = False) -> str:
    """Control, format (bidi) and separator characters shown as `<U+XXXX>` (newlines and tabs kept with `lines`)."""
    kept = "\n\t" if lines else ""
    return "".join(
        f"<U+{ord(c):04X}>" if c not in kept and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
        for c in text.replace("\r\n", "\n")
    )


def header_text(text: str, limit: int = 200) -> str:
    """A name fit for a header: one line of printable text that no mail reader decodes into more.

    An RFC 2047 encoded word (`=?utf-8?q?A=0D=0ABcc:...?=`) is printable ASCII, but the header parser
    decodes it, line breaks and all: "=?" is broken apart so that a name is only ever the text it shows.
    """
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    return " ".join(text.replace("=?", "= ?").split())[:limit]


def message_id(entry: FeedEntry, sender: str) -> str:
    return f"<{entry.webhook_id()}@{sender.rpartition('@')[2]}>"


# How urgent a notice is shows first, in the subject and the heading: the inbox is where a platform triages.
_URGENCY = {"threat_to_life": "URGENT, THREAT TO LIFE: ", "crisis": "URGENT, CRISIS: "}


def urgency(entry: FeedEntry) -> str:
    return "" if entry.op == "retract" else _URGENCY.get(str(entry.item.get("priority", "")), "")


def subject(entry: FeedEntry) -> str:
    item = entry.item
    platform = _SAFE_WORD.sub("", str(item.get("target", {}).get("platform", "")).lower())[:50] or "web"
    what = f"terrorist content ({item.get('category')}) on {platform} [{item.get('item_id')}]"
    withdrawn = "Withdrawn: " if entry.op == "retract" else ""
    return header_text(f"{withdrawn}{urgency(entry)}DSA Art. 16 notice from a trusted flagger: {what}", 900)


def compose(entry: FeedEntry, *, notifier: Notifier, recipients: Sequence[str], platform_name: str) -> EmailMessage:
    """The whole message, ready for `as_bytes()` (CRLF, lines within RFC 5322's limit)."""
    notice = entry.item.get("notice") or {}
    # Headers unfolded up to RFC 5322's hard limit, so that the subject reads on one line in a raw .eml.
    message = EmailMessage(policy=SMTP.clone(max_line_length=998))
    message["From"] = Address(display_name=header_text(notifier.name), addr_spec=notifier.email)
    message["To"] = [Address(display_name=header_text(platform_name), addr_spec=a) for a in recipients]
    message["Reply-To"] = Address(display_name=header_text(notifier.name), addr_spec=notifier.email)
    message["Subject"] = subject(entry)
    message["Message-ID"] = message_id(entry, notifier.email)
    # The entry's time, not the sending's: a retry is the same message.
    message["Date"] = format_datetime(datetime.fromisoformat(entry.created_at.replace("Z", "+00:00")))
    message["X-Flagpost-Notice-Id"] = entry.webhook_id()
    message["X-Flagpost-Item-Id"] = _SAFE_WORD.sub("", str(entry.item.get("item_id", "")).lower())
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(plain_text(entry, notice), subtype="plain", charset="utf-8")
    message.add_alternative(html_text(entry, notice), subtype="html", charset="utf-8")
    document = json.dumps(entry.public(), ensure_ascii=False, indent=2, sort_keys=True).encode()
    message.add_attachment(document, maintype="application", subtype="json", filename=f"{entry.webhook_id()}.json")
    # Boundaries of our own (the generator draws random ones), so that a retry is the same message byte
    # for byte. "=_" never occurs in base64 or quoted-printable text, so no part can contain them.
    token = hashlib.sha256(entry.webhook_id().encode()).hexdigest()[:24]
    message.set_boundary(f"=_fp_mixed_{token}")
    for part in message.iter_parts():
        if part.is_multipart():
            part.set_boundary(f"=_fp_alt_{token}")
    return message


def _sections(entry: FeedEntry, notice: dict[str, Any]) -> list[tuple[str, list[tuple[str, Any]]]]:
    """The notice as titled sections of (label, value); a value is text, a URL (`("url", u)`) or a quote."""
    item, explanation = entry.item, notice.get("explanation", {})
    location, notifier = notice.get("location", {}), notice.get("notifier", {})
    where: list[tuple[str, Any]] = []
    if location.get("canonical_url"):
        where.append(("Canonical URL", ("url", location["canonical_url"])))
    where.extend(("Reported as", ("url", u)) for u in location.get("reported_urls", []))
    if location.get("more_reported_urls"):
        where.append(("", "More URL forms were reported than a notice lists."))
    target = location.get("target") or item.get("target", {})
    where.append(("Target", " ".join(str(target.get(k, "")) for k in ("platform", "type", "id"))))
    why: list[tuple[str, Any]] = [
        ("Category", f"{explanation.get('category')}: {explanation.get('category_meaning', '')}"),
        ("Legal ground", explanation.get("legal_ground", "")),
        ("Reports", str(explanation.get("report_count", item.get("report_count", "")))),
    ]
    for report in explanation.get("reports", []):
        label = defang_text(" ".join(str(report[k]) for k in ("received_at", "language", "entity") if report.get(k)))
        text = report.get("description")
        quote = defang_text(text) if text is not None else "(text no longer kept)"
        why.append((f"Report of {label}", ("quote", quote)))
    sender: list[tuple[str, Any]] = [
        ("Notifier", f"{notifier.get('name', '')} <{notifier.get('email', '')}>"),
        ("Trusted flagger", notice.get("trusted_flagger", "")),
        ("Good faith", notice.get("good_faith", "")),
    ]
    keys = [
        (k, ", ".join(v) if isinstance(v, list) else str(v)) for k, v in notice.get("statement_of_reasons", {}).items()
    ]
    sections = [("Where: the exact electronic location", where), ("Why: the explanation", why)]
    if notice.get("withdrawal"):
        withdrawal = notice["withdrawal"]
        sections.insert(
            0, ("Withdrawal", [("Withdrawn at", withdrawal.get("withdrawn_at", "")), ("", withdrawal["statement"])])
        )
    sections += [("Who sends it", sender), ("For your statement of reasons (DSA Transparency Database)", keys)]
    return sections


def _heading(entry: FeedEntry) -> str:
    kind = "Withdrawal of a DSA Article 16 notice" if entry.op == "retract" else "DSA Article 16 notice"
    return f"{urgency(entry)}{kind}: terrorist content (notice {entry.webhook_id()}, item {entry.item.get('item_id')})"


def _footer(entry: FeedEntry) -> str:
    return (
        f"Tell us what you did: POST /v1/feed/items/{entry.item.get('item_id')}/outcome with your platform key, "
        f"or reply to this e-mail. The whole notice is attached as {entry.webhook_id()}.json."
    )


def plain_text(entry: FeedEntry, notice: dict[str, Any]) -> str:
    out = [visible(_heading(entry)), ""]
    for title, rows in _sections(entry, notice):
        out += [title, "-" * len(title)]
        for label, value in rows:
            prefix = f"{visible(label)}: " if label else ""
            if isinstance(value, tuple) and value[0] == "url":
                out.append(f"{prefix}{visible(value[1])}")
                out.append(f"{' ' * len(prefix)}(defanged: {visible(defang(value[1]))})")
            elif isinstance(value, tuple):
                out.append(visible(prefix.rstrip()))
                out += ["    " + line for line in visible(value[1], lines=True).split("\n")]
            else:
                out.append(f"{prefix}{visible(str(value))}")
        out.append("")
    out.append(visible(_footer(entry)))
    return "\n".join(out) + "\n"


def html_text(entry: FeedEntry, notice: dict[str, Any]) -> str:
    def esc(text: str) -> str:
        return html.escape(text, quote=True)

    out = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8"><title>' + esc(subject(entry)) + "</title></head><body>",
        f"<h1>{esc(visible(_heading(entry)))}</h1>",
    ]
    for title, rows in _sections(entry, notice):
        out.append(f"<h2>{esc(title)}</h2><dl>")
        for label, value in rows:
            out.append(f"<dt>{esc(visible(label))}</dt>" if label else "<dt></dt>")
            if isinstance(value, tuple) and value[0] == "url":
                # Text, never a link: the exact form to copy, and the defanged one beside it.
                out.append(
                    f'<dd><code dir="ltr">{esc(visible(value[1]))}</code>'
                    f' (defanged: <code dir="ltr">{esc(visible(defang(value[1])))}</code>)</dd>'
                )
            elif isinstance(value, tuple):
                out.append(
                    f'<dd><div dir="auto" style="white-space: pre-wrap">{esc(visible(value[1], lines=True))}</div></dd>'
                )
            else:
                out.append(f'<dd dir="auto">{esc(visible(str(value)))}</dd>')
        out.append("</dl>")
    out.append(f"<p>{esc(visible(_footer(entry)))}</p></body></html>")
    return "\n".join(out) + "\n"
