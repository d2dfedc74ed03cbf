"""Bounces from where they arrive: bounce messages (DSNs and the many non-standard formats
`flufl.bounce` recognises) read from an mbox file or standard input, and provider webhooks through
django-anymail's normalized tracking events. Each becomes one `record_bounce`."""

from __future__ import annotations

import email
import email.policy
import mailbox
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message

from flufl.bounce import all_failures

from .actions import record_bounce
from .models import Bounce

# Anymail's normalized event types, as bounce kinds (others, such as `delivered` or `opened`, are not ours).
ANYMAIL_KINDS = {"bounced": Bounce.Kind.HARD, "deferred": Bounce.Kind.SOFT, "complained": Bounce.Kind.COMPLAINT}


@dataclass
class BounceReport:
    messages: int = 0
    hard: int = 0
    soft: int = 0
    unrecognised: int = 0


def _reason(message: Message) -> str:
    """The raw reason: the subject and the delivery-status part as the server wrote it (or, in a
    non-standard bounce, its first text part)."""
    status = [part for part in message.walk() if part.get_content_type() == "message/delivery-status"]
    texts = [part for part in message.walk() if part.get_content_type() == "text/plain"]
    body = ""
    if status:
        body = "\n".join(str(block).strip() for block in status[0].get_payload())
    elif texts:
        payload = texts[0].get_payload(decode=True)
        body = payload.decode("utf-8", "replace").strip() if isinstance(payload, bytes) else ""
    return f"Subject: {message.get('Subject', '')}\n{body}"[:10000]


def read_bounce_messages(messages: Iterable[Message], *, source: str = "mbox") -> BounceReport:
    """Record every failed address each bounce message names: permanent failures as hard bounces,
    temporary ones as soft."""
    report = BounceReport()
    for message in messages:
        report.messages += 1
        temporary, permanent = all_failures(message)
        if not (temporary or permanent):
            report.unrecognised += 1
            continue
        reason = _reason(message)
        for address in permanent:
            record_bounce(address=_text(address), kind=Bounce.Kind.HARD, reason=reason, source=source)
            report.hard += 1
        for address in temporary - permanent:
            record_bounce(address=_text(address), kind=Bounce.Kind.SOFT, reason=reason, source=source)
            report.soft += 1
    return report


def _text(address: bytes | str) -> str:
    return address.decode("utf-8", "replace") if isinstance(address, bytes) else address


def read_mbox(path: str) -> BounceReport:
    return read_bounce_messages(mailbox.mbox(path, create=False), source="mbox")


def messages_from_bytes(data: bytes) -> list[Message]:
    """One message (standard input), or an mbox of them when it starts with a 'From ' line."""
    if data.startswith(b"From "):
        chunks = [b"From " + chunk for chunk in data.split(b"\nFrom ") if chunk]
        chunks[0] = chunks[0][len(b"From ") :]
        return [email.message_from_bytes(chunk.partition(b"\n")[2], policy=email.policy.compat32) for chunk in chunks]
    return [email.message_from_bytes(data, policy=email.policy.compat32)]


def read_message_bytes(data: bytes) -> BounceReport:
    """One bounce message (standard input), or an mbox of them."""
    return read_bounce_messages(messages_from_bytes(data), source="stdin")


def anymail_tracking(sender, event, esp_name: str, **kwargs) -> None:
    """django-anymail's `tracking` signal: a provider's webhook told of a bounce, deferral or complaint."""
    kind = ANYMAIL_KINDS.get(event.event_type)
    if kind is None or not event.recipient:
        return
    reason = event.mta_response or event.description or str(event.reject_reason or event.event_type)
    record_bounce(
        address=event.recipient, kind=kind, reason=reason, source=f"webhook:{esp_name}"[:40], at=event.timestamp
    )
