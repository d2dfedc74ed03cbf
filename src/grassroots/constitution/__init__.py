"""Constitutions: the organization's rules as validated data, and their evaluation."""

from .rules import ChildFact, Readiness, RuleResult, UnitFacts, evaluate
from .schema import (
    UNIT_STATES,
    Constitution,
    ConstitutionError,
    load_constitution_text,
    parse_constitution,
    template_names,
)

__all__ = [
    "UNIT_STATES",
    "ChildFact",
    "Constitution",
    "ConstitutionError",
    "Readiness",
    "RuleResult",
    "UnitFacts",
    "evaluate",
    "load_constitution_text",
    "parse_constitution",
    "template_names",
]
