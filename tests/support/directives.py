"""A region for directives: the federation 'Region' over three districts of four building
committees each, every committee preparing with a secretary who has an address."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from grassroots.organizations.models import Organization, Unit
from tests.support import builders

DUE = dt.datetime(2027, 5, 1, 23, 59)  # a wall-clock time in the region's zone, Europe/Berlin


@dataclass
class Region:
    org: Organization
    top: Unit
    districts: list[Unit] = field(default_factory=list)
    committees: dict[str, list[Unit]] = field(default_factory=dict)  # by district slug
    secretaries: dict[str, object] = field(default_factory=dict)  # user by unit slug


def region(*, secretaries: bool = True) -> Region:
    org = builders.organization(slug="region-org")
    org.time_zone = "Europe/Berlin"
    org.save(update_fields=["time_zone"])
    top = builders.unit(org, "federation", "Region")
    scene = Region(org=org, top=top)
    for number in range(1, 4):
        district = builders.unit(org, "district", f"District {number}", top)
        scene.districts.append(district)
        scene.committees[district.slug] = [
            builders.unit(org, "building_committee", f"D{number} House {house}", district, state="preparing")
            for house in range(1, 5)
        ]
        if secretaries:
            first = scene.committees[district.slug][0]
            scene.secretaries[district.slug] = builders.officer(
                org, district, "secretary", f"sec-{district.slug}@example.org", member_of=first
            )
            for committee in scene.committees[district.slug]:
                scene.secretaries[committee.slug] = builders.officer(
                    org, committee, "secretary", f"sec-{committee.slug}@example.org"
                )
    for user in scene.secretaries.values():
        person = user.person
        person.email = user.username
        person.save(update_fields=["email"])
    return scene


def all_committees(scene: Region) -> list[Unit]:
    return [committee for district in scene.districts for committee in scene.committees[district.slug]]
