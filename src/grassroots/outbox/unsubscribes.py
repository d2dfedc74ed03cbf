"""Unsubscribe requests by mail: the `mailto:` address of every message's List-Unsubscribe header
(RFC 2369) asks the mail client for a message with the subject "unsubscribe <signed token>" to the
unsubscribe address. Read from an mbox file or standard input, each such message unsubscribes the
person the token names from the list it names, as the one-click POST does (the app that owns the
list acts: `unsubscribe_requested`)."""

from __future__ import annotations

import mailbox
from collections.abc import Iterable
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message

from django.dispatch import Signal

from .bounces import messages_from_bytes
from .tokens import TOKEN, read_unsubscribe_token

# Sent with person_id, list_key and source; a receiver that owns the list answers "unsubscribed"
# (it acted now) or "unchanged" (already unsubscribed), None when the list is not its.
unsubscribe_requested = Signal()


@dataclass
class UnsubscribeReport:
    messages: int = 0
    unsubscribed: int = 0
    unchanged: int = 0
    unrecognised: int = 0


def _header(message: Message, name: str) -> str:
    value = message.get(name, "")
    try:
        return str(make_header(decode_header(str(value))))
    except (LookupError, UnicodeDecodeError, ValueError):
        return str(value)


def token_of(message: Message) -> tuple[int, str] | None:
    """The person and list of the first valid token in the subject, or else in the address it was
    sent to (a client that keeps the token in the address's query, or a plus address)."""
    for text in (_header(message, "Subject"), _header(message, "To"), _header(message, "Delivered-To")):
        for candidate in TOKEN.findall(text):
            found = read_unsubscribe_token(candidate)
            if found is not None:
                return found
    return None


def read_unsubscribe_messages(messages: Iterable[Message], *, source: str = "mail") -> UnsubscribeReport:
    """Unsubscribe the person each message's token names (idempotent: a second request for the
    same list changes nothing); a message without a valid token is counted and left alone."""
    report = UnsubscribeReport()
    for message in messages:
        report.messages += 1
        found = token_of(message)
        answers = (
            [
                answer
                for _, answer in unsubscribe_requested.send(
                    sender=Message, person_id=found[0], list_key=found[1], source=source
                )
            ]
            if found
            else []
        )
        if "unsubscribed" in answers:
            report.unsubscribed += 1
        elif "unchanged" in answers:
            report.unchanged += 1
        else:
            report.unrecognised += 1
    return report


def read_unsubscribe_mbox(path: str) -> UnsubscribeReport:
    return read_unsubscribe_messages(mailbox.mbox(path, create=False))


def read_unsubscribe_bytes(data: bytes) -> UnsubscribeReport:
    """One unsubscribe message (standard input), or an mbox of them."""
    return read_unsubscribe_messages(messages_from_bytes(data))
