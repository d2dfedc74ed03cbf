"""The bulletin at scale: `python bench/bulletin.py [--units N] [--members N] [--send N] [--workers N]`.

On the shared scale organization (bench/scale.py; 10,000 units and 1,000,000 members by default):

1. queue an issue to every member: the send action, whose delivery rows are written by one
   INSERT ... SELECT (target: under 20 s on SQLite and on PostgreSQL);
2. send `--send` messages (default 20,000) to an SMTP server on 127.0.0.1 (aiosmtpd, in this
   process) with `--workers` `grassroots outbox send` processes (default 2 on PostgreSQL, 1 on
   SQLite), against a floor measured in the same run: the same messages, already built, sent by a
   bare smtplib loop over one connection (target: at least 0.5 of the floor).
"""

from __future__ import annotations

import argparse
import os
import smtplib
import socket
import subprocess
import sys
import threading
import time

from scale import build_organization, setup_django


class Counter:
    """An SMTP handler that counts the messages it accepts and keeps nothing."""

    def __init__(self) -> None:
        self.accepted = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.accepted += len(envelope.rcpt_tos)
        return "250 OK"


def smtp_server():
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, counter


def queue_everyone(scale) -> tuple[float, int]:
    """Time the send of an issue to every member of the organization; returns seconds and rows."""
    from grassroots.bulletin import actions
    from grassroots.bulletin.selectors import recipient_count

    stamp = time.strftime("%Y%m%d%H%M%S")
    publication = actions.add_publication(organization=scale.organization, name=f"Bench {stamp}", by="bench")
    issue = actions.add_issue(
        publication=publication, title="Bench", by="bench", articles=[{"title": "News", "body": "Some *news*."}]
    )
    count = recipient_count(publication=publication)
    started = time.perf_counter()
    mailing = actions.send_issue(issue=issue, by="bench", confirm=count)
    seconds = time.perf_counter() - started
    rows = mailing.deliveries.count()
    return seconds, rows, mailing


def discard(mailing) -> None:
    """Pause the queued mailing and remove its rows, so the next run starts from the same state."""
    from django.db import connection

    from grassroots.bulletin.models import Issue
    from grassroots.outbox.models import Delivery, Mailing

    Mailing.objects.filter(pk=mailing.pk).update(paused=True)
    # One statement, not Django's collector (which lists every row's id to clear the bounces'
    # references: too many variables for SQLite at a million rows); the bench records no bounces.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Delivery._meta.db_table} WHERE mailing_id = %s", [mailing.pk])
    Issue.objects.filter(mailing=mailing).update(mailing=None, status="draft")
    Mailing.objects.filter(pk=mailing.pk).delete()


def discard_unfinished() -> None:
    """Remove what an interrupted earlier run left queued, so this run sends only its own messages."""
    from grassroots.outbox.models import Mailing

    for mailing in Mailing.objects.filter(source__startswith="bench:", finished_at__isnull=True):
        discard(mailing)


def queue_some(scale, count: int):
    from grassroots.bulletin import actions
    from grassroots.bulletin.rendering import mail_parts
    from grassroots.outbox.actions import queue_mailing
    from grassroots.outbox.models import UNSUBSCRIBE_MARK
    from grassroots.people.models import Person

    stamp = time.strftime("%Y%m%d%H%M%S")
    publication = actions.add_publication(organization=scale.organization, name=f"Send {stamp}", by="bench")
    issue = actions.add_issue(
        publication=publication, title="Send", by="bench", articles=[{"title": "News", "body": "Some *news*."}]
    )
    subject, text, html = mail_parts(issue=issue, articles=list(issue.articles.all()), unsubscribe_url=UNSUBSCRIBE_MARK)
    recipients = Person.objects.filter(
        pk__in=Person.objects.filter(organization=scale.organization)
        .exclude(email="")
        .order_by("pk")
        .values("pk")[:count]
    )
    return queue_mailing(
        organization=scale.organization,
        source=f"bench:{stamp}",
        subject=subject,
        text_body=text,
        html_body=html,
        recipients=recipients,
        list_id="Bench <bench.example.org>",
        list_key=publication.list_key,
        by="bench",
    )


def floor(mailing, port: int) -> float:
    """Messages a second of a bare smtplib loop over one connection, the messages built beforehand."""
    from django.core.mail import get_connection

    from grassroots.outbox.jobs import message_for

    deliveries = list(mailing.deliveries.select_related("mailing").order_by("pk"))
    connection = get_connection()
    built = [(d.address, message_for(d, connection).message().as_bytes(linesep="\r\n")) for d in deliveries]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for address, data in built:
            client.sendmail("bench@example.org", [address], data)
    return len(built) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--send", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    vendor = setup_django()
    from django.conf import settings
    from django.db import connection

    scale = build_organization(units=args.units, members=args.members)
    seconds, rows, everyone = queue_everyone(scale)
    print(f"{vendor}: queued {rows:,} delivery rows in {seconds:.1f} s (target: under 20 s)", flush=True)
    discard(everyone)

    controller, counter = smtp_server()
    try:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        discard_unfinished()
        mailing = queue_some(scale, args.send)
        floor_rate = floor(mailing, controller.port)
        counter.accepted = 0
        workers = args.workers or (2 if vendor == "postgresql" else 1)
        env = {
            **os.environ,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(controller.port),
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "GRASSROOTS_OUTBOX_BATCH": "200",
        }
        connection.close()
        command = [sys.executable, "-m", "grassroots.cli", "outbox", "send"]
        started = time.perf_counter()
        processes = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(workers)]
        for process in processes:
            process.wait()
        elapsed = time.perf_counter() - started
    finally:
        controller.stop()
    rate = counter.accepted / elapsed
    print(
        f"{vendor}: sent {counter.accepted:,} messages with {workers} worker(s) in {elapsed:.1f} s: {rate:,.0f}/s; "
        f"floor (bare smtplib, one connection) {floor_rate:,.0f}/s; ratio {rate / floor_rate:.2f} (target: 0.5)",
        flush=True,
    )


if __name__ == "__main__":
    main()
