"""The shared scale generator of the benchmarks writes what the actions and the import write."""

import importlib.util
import sys
from pathlib import Path

from grassroots.organizations.models import Unit, UnitEvent
from grassroots.organizations.selectors import members_in_subtree
from grassroots.people.counts import recount
from grassroots.people.models import Membership

BENCH = Path(__file__).resolve().parents[2] / "bench" / "scale.py"


def load_generator():
    spec = importlib.util.spec_from_file_location("scale_bench", BENCH)
    scale = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = scale  # its dataclass looks itself up there
    spec.loader.exec_module(scale)
    return scale


def test_a_small_scale_organization_is_consistent(db, fast_password_hashing):
    scale = load_generator().build_organization(units=120, members=600, quiet=True)
    organization = scale.organization
    units = Unit.objects.filter(organization=organization)
    assert {unit.kind for unit in units} == {"centre", "region", "district", "branch"}
    for unit in units.select_related("parent"):
        assert unit.path == (unit.parent.path if unit.parent else "") + unit.path[-7:]
        assert UnitEvent.objects.filter(unit=unit).latest("on", "id").state == unit.state
    assert Membership.objects.current().filter(unit__organization=organization).count() == 600
    assert recount(organization) == []
    assert scale.district.parent == scale.region and scale.branch.parent == scale.district
    assert scale.secretary.accounts.get().person.posts.get().unit == scale.district
    assert (
        members_in_subtree(scale.centre)
        == Membership.objects.current()
        .filter(unit__organization=organization, status__in=["candidate", "member"])
        .count()
    )
    # Built once: asked again, the same organization.
    assert load_generator().build_organization(units=120, members=600, quiet=True).organization == organization
