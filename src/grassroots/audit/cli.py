"""The command line of the audit trail."""

from __future__ import annotations

from typing import Annotated

import typer
from django.utils import timezone
from rich.table import Column, Table

from grassroots.audit.selectors import audit_records_visible_to
from grassroots.audit.templatetags.audit_trail import audit_changes
from grassroots.cli.common import (
    JsonFlag,
    get_organization,
    operator,
    out,
    parse_date,
    print_json,
)


def audit(
    org: str,
    action: Annotated[str | None, typer.Option("--action", help="An action, or a family: person, unit...")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Part of who acted.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this day, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="To this day included, YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first (0: all).")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """The organization's audit trail, newest first."""
    records = audit_records_visible_to(
        operator(),
        get_organization(org),
        action=action,
        actor=actor,
        since=parse_date(since, "--since"),
        until=parse_date(until, "--until"),
    )
    rows = [
        {
            "at": timezone.localtime(record.at).isoformat(),
            "actor": record.actor_label,
            "action": record.action,
            "target_type": record.target_type,
            "target_id": record.target_id,
            "target": record.target_label,
            "unit": record.unit.slug if record.unit_id else None,
            "changes": record.changes,
        }
        for record in (records[:limit] if limit > 0 else records.iterator(chunk_size=2000))
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("at", "actor", Column("action", no_wrap=True, min_width=16), "target", "changes")
    for row in rows:
        table.add_row(
            row["at"][:16].replace("T", " "), row["actor"], row["action"], row["target"], audit_changes(row["changes"])
        )
    out.print(table)
