"""The apportionment engine: delegates per unit from members counted at a cut-off date.

Plain Python with exact integer and `Fraction` arithmetic, no database. House-size methods
(`apportion`: largest remainder, D'Hondt, Sainte-Laguë, Huntington-Hill, with minimum and
maximum seats), ratio formulas (`apportion_per`, `apportion_brackets`) and weighted delegates
(`apportion_weighted`). Every result keeps its input and explains itself (see `result`).
"""

from .house import METHODS, apportion
from .ratio import (
    ROUNDINGS,
    Bracket,
    apportion_brackets,
    apportion_per,
    apportion_weighted,
    delegate_votes,
    parse_brackets,
    round_quota,
)
from .result import Apportionment, ApportionmentError, Tie, UnitSeats, input_sha256
from .summary import constitution_rule, rule_summary

__all__ = [
    "METHODS",
    "ROUNDINGS",
    "Apportionment",
    "ApportionmentError",
    "Bracket",
    "Tie",
    "UnitSeats",
    "apportion",
    "apportion_brackets",
    "apportion_per",
    "apportion_weighted",
    "constitution_rule",
    "delegate_votes",
    "input_sha256",
    "parse_brackets",
    "round_quota",
    "rule_summary",
]
