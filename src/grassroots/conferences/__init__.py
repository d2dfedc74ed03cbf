"""Conferences: delegates apportioned to units by membership, credentials, motions and votes.

The apportionment engine (`apportionment`) is plain Python with no database: give it each
unit's members counted at the cut-off date, get back the seats and why; so is the voting
engine (`voting`), which counts polls and elections. The app around them keeps the
conferences a committee convenes, counts their members as of the cut-off date (`selectors`),
and apportions and calls them (`actions`).
"""
