"""What a third fresh trial of the bulletin found: a body or title shown in the mail preview is
text, not markup."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.bulletin import actions as bulletin
from tests.support import builders
from tests.support.bulletin import BY, newsroom
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db


def test_the_plain_text_part_in_the_preview_is_escaped():
    room = newsroom()
    issue = bulletin.add_issue(
        publication=room.publication,
        title="<b>bold</b> title",
        by=BY,
        articles=[{"title": "<i>x</i>", "body": "<img src=x onerror=alert(2)>", "visibility": "public"}],
    )
    client = Client()
    sign_in(client, builders.account(room.org, "admin@example.org", is_admin=True))
    page = client.get(reverse("bulletin_issue", args=[room.org.slug, room.publication.slug, issue.number]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<img src=x onerror" not in html and '<img src="x"' not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<b>bold</b>" not in html and "<i>x</i>" not in html
