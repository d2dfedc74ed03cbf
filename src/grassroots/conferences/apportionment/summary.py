"""A rule's parameters in a few words, for the pages before anything is apportioned (an
apportionment's own `rule` then explains it in full)."""

from __future__ import annotations

from grassroots.constitution import Constitution

from .house import METHODS


def rule_summary(
    *,
    method: str,
    seats: int | None = None,
    minimum: int = 0,
    maximum: int | None = None,
    per: int | None = None,
    rounding: str | None = None,
    brackets: str | None = None,
) -> str:
    """E.g. "Sainte-Laguë (Webster), 9 seats, at least 1 per unit"; "one delegate per 50 members,
    major-fraction"; "brackets (1-14: 1; 15+: 2)". Unknown methods are shown as given."""
    if method in METHODS:
        words = f"{METHODS[method]}, {seats} seat{'' if seats == 1 else 's'}"
    elif method == "per":
        words = f"one delegate per {per} members, {rounding or 'floor'}"
    elif method == "brackets":
        lines = [line for line in (brackets or "").splitlines() if line.split("#", 1)[0].strip()]
        words = f"brackets ({'; '.join(line.strip() for line in lines)})"
    else:
        words = method
    if minimum:
        words += f", at least {minimum} per unit"
    if maximum is not None:
        words += f", at most {maximum} per unit"
    return words


def constitution_rule(constitution: Constitution) -> str:
    """The constitution's rule (`conferences.apportionment`) in words; "" when it names none."""
    written = constitution.conferences.apportionment
    return rule_summary(**written.model_dump()) if written is not None else ""
