"""The indirect-path helpers print nothing for a related record that is not there."""

from grassroots.access.indirect import visible_person, visible_unit


def test_no_related_record_prints_as_none(staff):
    assert visible_unit(staff, None) is None
    assert visible_person(staff, None) is None
