"""The one error of the voting engine, and the lot it shares with the apportionment engine."""

from __future__ import annotations

import hashlib
import json


class VotingError(ValueError):
    """Input a poll or an election cannot be counted with; the message names the voter, the
    ballot or the parameter, and `field` says which (e.g. "majority", "votes", "ballots")."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def canonical_sha256(value: object) -> str:
    """SHA-256 of `value` as JSON with sorted keys, no spaces, UTF-8 (the caller sorts lists
    whose order does not matter), so the same input always gives the same hash."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_weight(value: object, name: str, field: str, *, at_least: int = 1) -> int:
    """A whole-number weight of at least `at_least`, or a VotingError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise VotingError(f"{name}: weight {value!r} is not a whole number", field=field)
    if value < at_least:
        raise VotingError(f"{name}: weight must be at least {at_least}, not {value}", field=field)
    return value
