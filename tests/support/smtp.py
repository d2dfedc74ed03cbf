"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts, for the tests
that send mail through the outbox."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    # When the server accepted it (time.time(), to compare with times a child process wrote).
    at: float = 0.0


@dataclass
class Catcher:
    """Keeps what the server accepted; `refuse` maps an address to an SMTP answer to give instead;
    `delay` (seconds) makes it a slow server, taking that long over each message."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, time.time()))
        return "250 Message accepted for delivery"

    @property
    def recipients(self) -> list[str]:
        return [address for received in self.received for address in received.recipients]


def start_smtp_server() -> tuple[Controller, Catcher]:
    """Start a server on a free port of 127.0.0.1; stop it with `controller.stop()`."""
    catcher = Catcher()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, catcher
