"""Bounces from where they arrive: bounce messages (DSNs and the many non-standard formats
`flufl.bounce` recognises) read from an mbox file or standard input, and provider webhooks through
django-anymail's normalized tracking events. Each becomes one `record_bounce` only when it is
about a message we sent to that address:

- a bounce message must carry (in the returned headers or text of the original, as DSNs do,
  RFC 3464) the Message-ID we gave that recipient's copy, or the signed unsubscribe token of its
  List-Unsubscribe header (`tokens.py`: a person and list no one can forge) for a delivery of that
  list to that address; anyone can mail the bounce address, so a message naming an address
  without either is counted as unrecognised and changes nothing;
- a webhook (authenticated with `ANYMAIL_WEBHOOK_SECRET`) must name an address we sent a message
  to: its delivery with the provider's message id, if it is ours, or the last one sent there.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message

from flufl.bounce import all_failures

from .actions import SENT_ONCE, record_bounce
from .models import Bounce, Delivery
from .tokens import TOKEN, mail_domain, read_unsubscribe_token

# Anymail's normalized event types, as bounce kinds (others, such as `delivered` or `opened`, are not ours).
ANYMAIL_KINDS = {"bounced": Bounce.Kind.HARD, "deferred": Bounce.Kind.SOFT, "complained": Bounce.Kind.COMPLAINT}


@dataclass
class BounceReport:
    """What a run read: messages, hard and soft bounces recorded, delayed notices about our
    messages (a warning that the server keeps trying: counted here, recorded nowhere), and
    messages that were about no message of ours."""

    messages: int = 0
    hard: int = 0
    soft: int = 0
    delayed: int = 0
    unrecognised: int = 0


def mbox_problem(path: str) -> str | None:
    """Why the file at `path` cannot be read as an mbox (None when it can): an mbox is empty
    or starts with a 'From ' line; anything else (a lone message, garbage) would read as no
    message at all."""
    with open(path, "rb") as handle:
        start = handle.read(4096)
    if not start.strip() or start.lstrip(b"\r\n").startswith(b"From "):
        return None
    return f"--mbox: {path} is not an mbox file (it does not start with a 'From ' line)"


def _failed_statuses(message: Message) -> dict[str, str]:
    """The Status (RFC 3464, e.g. '5.1.1') of each recipient a delivery-status part says `failed`,
    by lowercased address (Final-Recipient, or Original-Recipient)."""
    statuses: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status" or not isinstance(part.get_payload(), list):
            continue
        for block in part.get_payload():
            if not isinstance(block, Message) or not str(block.get("Action", "")).lower().startswith(("fail", "error")):
                continue
            for header in ("Final-Recipient", "Original-Recipient"):
                value = str(block.get(header, ""))
                if value:
                    address = value.partition(";")[2].strip() or value.strip()
                    statuses[address.strip("<>").lower()] = str(block.get("Status", "")).strip()
    return statuses


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


# A Message-ID as written in headers: "<...@domain>".
MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")


def _sent(address: str):
    return Delivery.objects.filter(address__iexact=address.strip(), status__in=SENT_ONCE)


def _returned_text(message: Message) -> str:
    """The whole bounce as text: its headers, and every part (the returned original's headers
    and body, in whatever part the reporting server put them), decoded where it can be."""
    pieces = [str(value) for value in message.values()]
    for part in message.walk():
        pieces += [str(value) for value in part.values()]
        payload, raw = part.get_payload(decode=True), part.get_payload()
        if isinstance(payload, bytes):
            pieces.append(payload.decode("utf-8", "replace"))
        elif isinstance(raw, str):
            pieces.append(raw)
    return "\n".join(pieces)


def matched_delivery(address: str, text: str) -> Delivery | None:
    """The delivery a bounce message about `address` is about: the one whose Message-ID (of our
    mail domain) the message quotes, or else the last one sent to that address of the list and
    person a signed unsubscribe token in it names; None when it quotes neither."""
    domain = "@" + mail_domain().lower() + ">"
    ours = {found for found in MESSAGE_ID.findall(text) if found.lower().endswith(domain)}
    if ours:
        delivery = _sent(address).filter(message_id__in=sorted(ours)).select_related("mailing").first()
        if delivery is not None:
            return delivery
    for candidate in dict.fromkeys(TOKEN.findall(text)):
        found = read_unsubscribe_token(candidate)
        if found is None:
            continue
        delivery = (
            _sent(address)
            .filter(person_id=found[0], mailing__list_key=found[1])
            .select_related("mailing")
            .order_by("-sent_at", "-pk")
            .first()
        )
        if delivery is not None:
            return delivery
    return None


def read_bounce_messages(messages: Iterable[Message], *, source: str = "mbox") -> BounceReport:
    """Record every failed address each bounce message names and that it shows we sent to (see
    the module): a failure with a temporary status (4.x.x: the server gave up on a full mailbox,
    say) as a soft bounce, any other as a hard one. A delayed notice (Action: delayed, a
    warning that the server is still trying) is no bounce: counted as `delayed`, nothing recorded.
    A message with none of these about a message of ours is counted as unrecognised."""
    report = BounceReport()
    for message in messages:
        report.messages += 1
        temporary, permanent = all_failures(message)
        text = _returned_text(message) if (temporary or permanent) else ""
        reason = _reason(message) if text else ""
        statuses = _failed_statuses(message) if permanent else {}
        recognised = False
        for address in sorted(map(_text, permanent)):
            delivery = matched_delivery(address, text)
            if delivery is None:
                continue
            kind = Bounce.Kind.SOFT if statuses.get(address.lower(), "").startswith("4") else Bounce.Kind.HARD
            record_bounce(delivery=delivery, kind=kind, reason=reason, source=source)
            recognised = True
            if kind == Bounce.Kind.HARD:
                report.hard += 1
            else:
                report.soft += 1
        for address in sorted(map(_text, temporary - permanent)):
            if matched_delivery(address, text) is not None:
                report.delayed += 1
                recognised = True
        if not recognised:
            report.unrecognised += 1
    return report


def _text(address: bytes | str) -> str:
    return address.decode("utf-8", "replace") if isinstance(address, bytes) else address


def read_mbox(path: str) -> BounceReport:
    return read_bounce_messages(mailbox.mbox(path, create=False), source="mbox")


def messages_from_bytes(data: bytes) -> list[Message]:
    """One message (standard input), or an mbox of them when it starts with a 'From ' line; no
    message at all when the input is empty (or only blank lines)."""
    if not data.strip():
        return []
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
    sent = _sent(event.recipient).select_related("mailing").order_by("-sent_at", "-pk")
    delivery = (sent.filter(message_id=event.message_id).first() if event.message_id else None) or sent.first()
    if delivery is None:
        return  # about no message we sent to that address: nothing to score or unsubscribe
    reason = event.mta_response or event.description or str(event.reject_reason or event.event_type)
    record_bounce(delivery=delivery, kind=kind, reason=reason, source=f"webhook:{esp_name}"[:40], at=event.timestamp)
