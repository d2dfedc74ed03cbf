"""The session pages: the organizers' page with the known poll's result, the delegate's phone
page and its vote form, the projector page under the CSP, each in a fixed number of queries."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.conferences import assembly
from grassroots.conferences.models import PollVote
from tests.support import builders
from tests.support.assembly import in_session, seat
from tests.support.conferences import conference, conference_scene
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(org):
    found = in_session(conference(conference_scene(org)["federation"]))
    delegates = [*(s := seat(found, {"elm-house": [10, 10], "oak-court": [7]}))["elm-house"], *s["oak-court"]]
    users = [builders.account(org, f"d{n}@example.org", person=d.person) for n, d in enumerate(delegates)]
    admin = sign_in(Client(), builders.account(org, "admin@example.org", is_admin=True))
    return found, delegates, users, admin


def _url(name, found, *more):
    return reverse(name, args=[found.organization.slug, found.pk, *more])


def test_the_known_poll_through_the_pages(hall, django_assert_max_num_queries):
    found, delegates, users, admin = hall
    motion = assembly.add_motion(conference=found, title="Strike", text="We strike.", by="test", delegate=delegates[0])
    assembly.add_amendment(motion=motion, text="We strike at once.", by="test")
    poll = assembly.add_poll(conference=found, subject="Strike", majority="two-thirds", by="test")
    opened = admin.post(_url("conference_poll_step", found, poll.pk, "open"))
    assert opened.status_code == 302
    for user, choice in zip(users, ("yes", "yes", "no"), strict=True):
        phone = sign_in(Client(), user)
        page = phone.get(_url("conference_delegate", found))
        assert "weight" in page.content.decode() and f'data-poll="{poll.pk}"' in page.content.decode()
        assert phone.post(_url("conference_vote", found, poll.pk), {"choice": choice}).status_code == 302
    assert PollVote.objects.filter(poll=poll).count() == 3
    projector = admin.get(_url("conference_projector", found)).content.decode()
    assert 'data-cast="3"' in projector and "projector.js" in projector and "<script>" not in projector
    admin.post(_url("conference_poll_step", found, poll.pk, "close"))
    with django_assert_max_num_queries(16):
        page = admin.get(_url("conference_session", found))
    text = unescape(page.content.decode())
    assert "74.07 %" in text and 'data-passed="yes"' in text and "two thirds majority" in text
    assert "Amendment 1 (the whole text, submitted): We strike at once." in text
    assert "Passed" in unescape(admin.get(_url("conference_projector", found)).content.decode())
    assert admin.post(_url("conference_poll_step", found, poll.pk, "jump")).status_code == 404


def test_a_refused_vote_is_flashed_and_changes_nothing(hall):
    found, delegates, users, admin = hall
    poll = assembly.add_poll(conference=found, subject="Draft", by="test")
    phone = sign_in(Client(), users[0])
    answer = phone.post(_url("conference_vote", found, poll.pk), {"choice": "yes"}, follow=True)
    assert "votes are cast only in an open poll" in unescape(answer.content.decode())
    assert not PollVote.objects.exists()
    outsider = sign_in(Client(), builders.account(found.organization, "x@example.org"))
    assert outsider.get(_url("conference_delegate", found)).status_code == 404
