"""The SVG charts: exact geometry of small inputs, titles, the table beside, no style or script."""

from __future__ import annotations

import re

import pytest

from grassroots.health.charts import bullet, number, sparkline, stacked_bars


def test_numbers_are_written_with_one_decimal_at_most():
    assert [number(2), number(2.25), number(0.04), number(13.333)] == ["2", "2.2", "0", "13.3"]


def test_a_sparkline_of_three_values_puts_them_across_and_up_the_box():
    svg = sparkline([0, 5, 10], labels=["1 Jan", "2 Jan", "3 Jan"], title="Members", width=104, height=24)
    # x: 2 + i * 100 / 2; y: 2 + 20 - v / 10 * 20
    assert '<polyline class="line" points="2,22 52,12 102,2"/>' in svg
    assert '<circle class="dot" cx="52" cy="12" r="1.5"><title>2 Jan: 5</title></circle>' in svg
    assert 'viewBox="0 0 104 24"' in svg and "<title>Members</title>" in svg
    assert '<th scope="row">3 Jan</th><td>10</td>' in svg


def test_a_missing_value_breaks_the_line_and_reads_as_a_dash():
    svg = sparkline([0.5, None, 1.0, 0.0], labels=["a", "b", "c", "d"], title="Rate", width=64, height=14, high=1)
    # x: 2 + i * 60 / 3 -> 2, 22, 42, 62; y: 2 + 10 - v * 10
    assert re.findall(r'points="([^"]*)"', str(svg)) == ["42,2 62,12"]
    assert svg.count("<circle") == 3
    assert '<th scope="row">b</th><td>–</td>' in svg


def test_one_value_sits_in_the_middle():
    svg = sparkline([3], labels=["today"], title="Members", width=40, height=20)
    assert 'cx="20"' in svg and "<polyline" not in svg


def test_stacked_bars_stack_from_the_bottom_in_series_order():
    svg = stacked_bars(
        [("Jan", [1, 3]), ("Feb", [2, 0])],
        series=[("Tier 1", "tier-1"), ("Tier 2", "tier-2")],
        title="Tiers",
        width=44,
        height=44,
        gap=0,
    )
    # Bars 20 wide, the tallest total (4) fills 40: a unit of 10.
    assert '<rect class="tier-1" x="2" y="32" width="20" height="10"><title>Jan, Tier 1: 1</title></rect>' in svg
    assert '<rect class="tier-2" x="2" y="2" width="20" height="30"><title>Jan, Tier 2: 3</title></rect>' in svg
    assert '<rect class="tier-1" x="22" y="22" width="20" height="20"><title>Feb, Tier 1: 2</title></rect>' in svg
    assert svg.count("<rect") == 3  # Feb's zero draws nothing
    assert '<th scope="row">Feb</th><td>2</td><td>0</td><td>2</td>' in svg


def test_stacked_bars_refuse_counts_that_do_not_match_the_series():
    with pytest.raises(ValueError, match="bar 'Jan' has 1 counts for 2 series"):
        stacked_bars([("Jan", [1])], series=[("a", "a"), ("b", "b")], title="T")


def test_a_bullet_draws_the_value_against_the_threshold():
    svg = bullet(
        0.483,
        threshold=0.5,
        maximum=1,
        passed=False,
        title="Attendance",
        shown=lambda v: f"{v:.1%}",
        width=104,
        height=16,
    )
    assert '<rect class="range" x="2" y="2" width="100" height="12"/>' in svg
    assert '<rect class="fail" x="2" y="4" width="48.3" height="8"><title>48.3% (fails)</title></rect>' in svg
    assert '<line class="threshold" x1="52" y1="0" x2="52" y2="16"><title>threshold 50.0%</title></line>' in svg
    assert "<td>48.3%</td><td>50.0%</td><td>fails</td>" in svg


def test_a_bullet_beyond_its_range_is_clipped_and_unmeasured_has_no_bar():
    assert 'class="pass" x="2" y="4" width="100"' in bullet(
        7, threshold=3, maximum=5, passed=True, title="Meetings", width=104
    )
    empty = bullet(None, threshold=3, maximum=5, passed=None, title="Meetings")
    assert 'class="pass"' not in empty and 'class="fail"' not in empty and "not measured" in empty


def test_labels_are_escaped_and_nothing_inline_is_written():
    svg = str(sparkline([1, 2], labels=["<b>", 'x"y'], title="A & B"))
    svg += str(stacked_bars([("<i>", [1])], series=[("s", "tier-1")], title="t"))
    svg += str(bullet(1, threshold=1, maximum=2, passed=True, title="<script>"))
    assert "<b>" not in svg and "<i>" not in svg and "<script>" not in svg and "A &amp; B" in svg
    assert "style=" not in svg and "<script" not in svg and " on" not in re.sub(r">[^<]*<", "><", svg)
