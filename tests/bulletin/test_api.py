"""The bulletin API: publish, draft an issue with articles, count, send with the exact count,
and read the delivery status."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from grassroots.accounts.actions import create_api_token
from grassroots.outbox.jobs import deliver
from tests.support import builders
from tests.support.bulletin import newsroom

pytestmark = pytest.mark.django_db


def test_publish_and_send_through_the_api(smtp, django_assert_max_num_queries):
    room = newsroom()
    admin = builders.account(room.org, "admin@example.org", is_admin=True)
    token = create_api_token(user=admin, organization=room.org, name="t", by="test")[1]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    base = f"/api/orgs/{room.org.slug}/publications"

    def post(url, body):
        return client.post(url, json.dumps(body), content_type="application/json")

    made = post(base, {"name": "North News", "unit": "north", "footer": "North district"})
    assert made.status_code == 201 and made.json()["unit"] == "north"
    slug = made.json()["slug"]
    bad = post(
        f"{base}/{slug}/issues", {"title": "One", "articles": [{"title": "A", "body": "B", "visibility": "subtree"}]}
    )
    assert bad.status_code == 409 and "subtree article needs a unit" in bad.json()["detail"]
    issue = post(f"{base}/{slug}/issues", {"title": "One", "articles": [{"title": "Hello", "body": "*Hi*"}]})
    assert issue.status_code == 201 and issue.json()["number"] == 1
    with django_assert_max_num_queries(12):
        count = client.get(f"{base}/{slug}/issues/1/audience")
    assert count.json() == {"recipients": 3}  # ann, bob and fay in the north
    refused = post(f"{base}/{slug}/issues/1/send", {"confirm": 2})
    assert refused.status_code == 409 and refused.json()["field"] == "confirm"
    sent = post(f"{base}/{slug}/issues/1/send", {"confirm": 3})
    assert sent.status_code == 200 and sent.json()["deliveries"]["queued"] == 3
    deliver()
    status = client.get(f"{base}/{slug}/issues/1/status").json()
    assert status["status"] == "sent" and status["deliveries"]["sent"] == 3
    assert sorted(smtp.recipients) == ["ann@example.org", "bob@example.org", "fay@example.org"]
    listed = client.get(base).json()
    assert [p["name"] for p in listed] == ["North News", "The Tenant"]
