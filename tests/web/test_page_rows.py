"""What the tables write for each row without Django's per-row machinery is what it would write:
addresses as `reverse` gives them, times as the `date` filter does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.defaultfilters import date as date_filter
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from grassroots.audit.views import _when
from grassroots.web import RowLinks, day


@pytest.mark.parametrize(
    ("name", "args", "lasts"),
    [
        ("person", ["party"], [1, 42, 7_301_942_658, 10**15]),
        ("unit", ["party"], ["centre", "r1-d2-b3", "a_b", "7301942658", "x-7301942658-y"]),
        ("unit_tree_children", ["my-org-7301942658"], ["branch-1"]),  # the stand-in in the organization's slug
    ],
)
def test_row_links_are_the_reversed_addresses(name, args, lasts):
    links = RowLinks(name, *args)
    for last in lasts:
        assert links(last) == reverse(name, args=[*args, last])


def test_a_value_that_is_no_id_or_slug_is_reversed_as_usual():
    links = RowLinks("unit", "party")
    with pytest.raises(NoReverseMatch):
        links("a/b")
    with pytest.raises(NoReverseMatch):
        links("")


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata"])
def test_audit_times_are_what_the_date_filter_writes(zone):
    with timezone.override(zone):
        for at in (
            dt.datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=dt.UTC),
            dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC),
            dt.datetime(1999, 12, 31, 23, 5, tzinfo=dt.UTC),
        ):
            local = timezone.template_localtime(at)
            assert _when(at) == (date_filter(local, "c"), date_filter(local, "Y-m-d H:i"))


def test_days_are_what_the_date_filter_writes():
    for value in (dt.date(2024, 3, 5), dt.date(1999, 12, 31), dt.date(2026, 1, 1)):
        assert day(value) == date_filter(value, "j M Y")
        assert day(value) == date_filter(value, "j M Y")  # kept, and still the same
