"""Benchmark of the apportionment engine: `python bench/apportion.py [--units N]` (default 10,000).

Shares 435 seats among N units (members drawn from a fixed seed, 1 to about 5,000 each, many
equal counts so ties happen) with each house-size method, in exact arithmetic, and measures
in the same run a floor: building the N exact quotas members/total as Fractions and sorting
them once, the least an exact apportionment that looks at every unit can do. Prints the best
of five runs of each and its ratio to the floor; the target is under 1 s for Huntington-Hill
and D'Hondt. Other arguments (the import benchmark's row count from `make bench`) are ignored.
"""

from __future__ import annotations

import random
import sys
import time
from fractions import Fraction

from grassroots.conferences.apportionment import METHODS, apportion

SEATS = 435
RUNS = 5


def best_of(work) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    units = 10_000
    if "--units" in sys.argv:
        units = int(sys.argv[sys.argv.index("--units") + 1])
    draw = random.Random(17)
    members = {f"unit-{n:05d}": int(draw.lognormvariate(4.5, 1.0)) + 1 for n in range(units)}
    total = sum(members.values())

    floor = best_of(lambda: sorted(Fraction(count, total) for count in members.values()))
    print(f"{units:,} units, {total:,} members, {SEATS} seats")
    print(f"floor (build and sort {units:,} exact quotas): {floor * 1000:.1f} ms")
    for method in ("huntington-hill", "dhondt", *(m for m in METHODS if m not in ("huntington-hill", "dhondt"))):
        result = apportion(members, seats=SEATS, method=method)
        seconds = best_of(lambda method=method: apportion(members, seats=SEATS, method=method))
        target = " (target under 1 s)" if method in ("huntington-hill", "dhondt") else ""
        print(
            f"{method}: {seconds * 1000:.1f} ms{target}, {seconds / floor:.1f}x the floor; "
            f"{sum(1 for line in result.units if line.seats)} units seated, {len(result.ties)} tie(s)"
        )


if __name__ == "__main__":
    main()
