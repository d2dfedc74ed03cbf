"""Conferences: delegates apportioned to units by membership, credentials, motions and votes.

For now only the apportionment engine lives here (plain Python, no database): give it each
unit's members counted at the cut-off date, get back the seats and why.
"""
