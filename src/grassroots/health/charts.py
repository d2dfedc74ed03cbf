"""Charts as server-rendered SVG: sparklines, stacked bars and bullet charts.

Each function returns one `<figure>` holding the SVG (`role="img"`, a `<title>` on the chart and
on every mark, for a pointer's tooltip) and a `<table>` of the same figures beside it, visually
hidden, for screen readers. No style attribute and no script, so the site's Content-Security-
Policy (no inline style or script) holds: colours and sizes come from classes in the site's
stylesheet (`chart-*`, `tier-N`, `pass`, `fail`). Coordinates are in SVG user units, rounded to
one decimal; every value is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# The margin kept inside a chart's box, so that lines and dots at the extremes are not cut.
PAD = 2


def number(value: float) -> str:
    """A coordinate as written in the SVG: one decimal at most, no trailing `.0`."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def plain(value: float | int | None) -> str:
    """A figure as a table cell shows it: a dash for none."""
    return "–" if value is None else str(value)


def _table(caption: str, heads: Sequence[str], rows: Sequence[Sequence[str]]) -> SafeString:
    head = format_html_join("", '<th scope="col">{}</th>', ((h,) for h in heads))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (
                format_html(
                    '<th scope="row">{}</th>{}',
                    row[0],
                    format_html_join("", "<td>{}</td>", ((cell,) for cell in row[1:])),
                ),
            )
            for row in rows
        ),
    )
    return format_html(
        '<table class="visually-hidden"><caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
        caption,
        head,
        body,
    )


def _figure(kind: str, title: str, width: int, height: int, marks: str, table: SafeString) -> SafeString:
    svg = format_html(
        '<svg class="chart chart-{}" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">'
        "<title>{}</title>{}</svg>",
        kind,
        width,
        height,
        width,
        height,
        title,
        title,
        mark_safe(marks),  # built below from escaped parts only
    )
    return format_html('<figure class="chart-figure">{}{}</figure>', svg, table)


def sparkline(
    values: Sequence[float | int | None],
    *,
    labels: Sequence[str],
    title: str,
    width: int = 160,
    height: int = 32,
    low: float = 0,
    high: float | None = None,
    shown: Callable[[float | int], str] = str,
) -> SafeString:
    """A trend line of `values` (one per label, None: not measured, which breaks the line) between
    `low` and `high` (default the largest value, at least `low` + 1) on a `width` by `height` box:
    point i at x = PAD + i * (width - 2 PAD) / (n - 1) (the middle for one value), y from the
    bottom (value `low`) to the top (value `high`) inside PAD. A polyline per unbroken run and a
    dot per value with its `<title>` ("label: shown(value)"); the table lists label and value."""
    if len(values) != len(labels):
        raise ValueError("sparkline: one label per value")
    measured = [value for value in values if value is not None]
    top = high if high is not None else max([*measured, low + 1])
    span = (top - low) or 1
    inner_w, inner_h = width - 2 * PAD, height - 2 * PAD
    count = len(values)

    def x(i: int) -> float:
        return width / 2 if count == 1 else PAD + i * inner_w / (count - 1)

    def y(value: float) -> float:
        return PAD + inner_h - (min(max(value, low), top) - low) / span * inner_h

    runs: list[list[str]] = [[]]
    dots: list[str] = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        if value is None:
            runs.append([])
            continue
        point = f"{number(x(i))},{number(y(value))}"
        runs[-1].append(point)
        dots.append(
            f'<circle class="dot" cx="{number(x(i))}" cy="{number(y(value))}" r="1.5">'
            f"<title>{escape(label)}: {escape(shown(value))}</title></circle>"
        )
    lines = "".join(f'<polyline class="line" points="{" ".join(run)}"/>' for run in runs if len(run) > 1)
    table = _table(
        title,
        ["Day", "Value"],
        [(label, "–" if v is None else shown(v)) for label, v in zip(labels, values, strict=True)],
    )
    return _figure("spark", title, width, height, lines + "".join(dots), table)


def stacked_bars(
    bars: Sequence[tuple[str, Sequence[int]]],
    *,
    series: Sequence[tuple[str, str]],
    title: str,
    width: int = 240,
    height: int = 80,
    gap: float = 2,
) -> SafeString:
    """One bar per `(label, counts)`, its counts stacked from the bottom in the order of `series`
    (`(name, css class)` each, one per count). Bars share the width: each `(width - 2 PAD - gap
    * (n - 1)) / n` wide; the tallest total fills `height - 2 PAD`. Each segment is a rect of its
    series' class with its `<title>` ("label, name: count"); a zero count draws nothing. The
    table has a row per bar and a column per series, and the total."""
    count = len(bars)
    inner_w, inner_h = width - 2 * PAD, height - 2 * PAD
    tallest = max([sum(counts) for _label, counts in bars] + [1])
    bar_w = (inner_w - gap * (count - 1)) / count if count else 0
    marks = []
    for i, (label, counts) in enumerate(bars):
        if len(counts) != len(series):
            raise ValueError(f"stacked_bars: bar '{label}' has {len(counts)} counts for {len(series)} series")
        left = PAD + i * (bar_w + gap)
        base: float = PAD + inner_h
        for (name, css), value in zip(series, counts, strict=True):
            if not value:
                continue
            tall = value / tallest * inner_h
            base -= tall
            marks.append(
                f'<rect class="{escape(css)}" x="{number(left)}" y="{number(base)}" width="{number(bar_w)}" '
                f'height="{number(tall)}"><title>{escape(label)}, {escape(name)}: {value}</title></rect>'
            )
    table = _table(
        title,
        ["", *(name for name, _css in series), "Total"],
        [(label, *(str(value) for value in counts), str(sum(counts))) for label, counts in bars],
    )
    return _figure("bars", title, width, height, "".join(marks), table)


def bullet(
    value: float | int | None,
    *,
    threshold: float | int | None,
    maximum: float | int,
    passed: bool | None,
    title: str,
    shown: Callable[[float | int], str] = str,
    width: int = 160,
    height: int = 16,
) -> SafeString:
    """A bullet chart: the range 0 to `maximum` as a background rect over the inner width, the
    value as a bar (class `pass`, `fail`, `share` when nothing is passed; no bar for None) of width
    `value / maximum` of it (clipped to the range), and the threshold (if any) as a marker line
    at `threshold / maximum` of it, full height. Titles say the value and the threshold; the table
    has the value, the threshold and the verdict."""
    top = maximum or 1
    inner_w = width - 2 * PAD

    def x(amount: float) -> float:
        return PAD + min(max(amount, 0), top) / top * inner_w

    if value is None:
        verdict, css = "not measured", ""
    elif passed is None:
        verdict, css = "no threshold", "share"
    else:
        verdict, css = ("passes", "pass") if passed else ("fails", "fail")
    marks = [f'<rect class="range" x="{PAD}" y="{PAD}" width="{number(inner_w)}" height="{height - 2 * PAD}"/>']
    if value is not None:
        marks.append(
            f'<rect class="{css}" x="{PAD}" y="{number(height / 4)}" '
            f'width="{number(x(value) - PAD)}" height="{number(height / 2)}">'
            f"<title>{escape(shown(value))} ({verdict})</title></rect>"
        )
    if threshold is not None:
        marks.append(
            f'<line class="threshold" x1="{number(x(threshold))}" y1="0" x2="{number(x(threshold))}" y2="{height}">'
            f"<title>threshold {escape(shown(threshold))}</title></line>"
        )
    table = _table(
        title,
        ["", "Value", "Threshold", "Verdict"],
        [(title, "–" if value is None else shown(value), "–" if threshold is None else shown(threshold), verdict)],
    )
    return _figure("bullet", title, width, height, "".join(marks), table)
