"""The bulletin API: publish, draft an issue with articles, count, send with the exact count,
and read the delivery status."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from grassroots.accounts.actions import create_api_token
from grassroots.audit.models import AuditRecord
from grassroots.bulletin import actions as bulletin
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
    assert count.json() == {"recipients": 3, "nothing_to_read": 0, "without_membership": 0}  # ann, bob, fay (north)
    refused = post(f"{base}/{slug}/issues/1/send", {"confirm": 2})
    assert refused.status_code == 409 and refused.json()["field"] == "confirm"
    sent = post(f"{base}/{slug}/issues/1/send", {"confirm": 3})
    assert sent.status_code == 200 and sent.json()["deliveries"]["queued"] == 3
    deliver()
    status = client.get(f"{base}/{slug}/issues/1/status").json()
    assert status["status"] == "sent" and status["deliveries"]["sent"] == 3
    assert sorted(smtp.recipients) == ["ann@example.org", "bob@example.org", "fay@example.org"]
    listed = client.get(base).json()
    assert listed["count"] == 2 and [p["name"] for p in listed["items"]] == ["North News", "The Tenant"]
    second = client.get(base, {"limit": 1, "offset": 1}).json()
    assert second["count"] == 2 and [p["name"] for p in second["items"]] == ["The Tenant"]
    issues = client.get(f"{base}/{slug}/issues").json()
    assert issues["count"] == 1 and [i["number"] for i in issues["items"]] == [1]


def _post(client: Client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type="application/json")


def api_client(user, org) -> Client:
    token = create_api_token(user=user, organization=org, name="t", by="test")[1]
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_subscriptions_through_the_api_within_scope(smtp):
    room = newsroom()
    admin = api_client(builders.account(room.org, "admin@example.org", is_admin=True), room.org)
    secretary = builders.officer(
        room.org, room.units["north"], "secretary", "sec@example.org", member_of=room.units["elm"]
    )
    north = api_client(secretary, room.org)
    base = f"/api/orgs/{room.org.slug}"
    everyone = admin.get(f"{base}/publications/{room.publication.slug}/subscriptions").json()
    assert [(s["person_name"], s["state"]) for s in everyone["items"]] == [
        ("Dee Supporter", "confirmed"),
        ("Eve Unconfirmed", "unconfirmed"),
        ("Fay Unsubscribed", "unsubscribed"),
    ]
    assert everyone["items"][0]["consent_version"] == "1" and everyone["items"][0]["confirmed_at"]
    # A subscriber of the south district is not the north secretary's to see.
    cy = room.people["cy"]
    bulletin.confirm_subscription(
        subscription=bulletin.subscribe(person=cy, publication=room.publication, by="t"), by="t"
    )
    listed = north.get(f"{base}/publications/{room.publication.slug}/subscriptions").json()
    assert listed["count"] == 3 and "Cy South" not in [s["person_name"] for s in listed["items"]]
    assert admin.get(f"{base}/publications/{room.publication.slug}/subscriptions").json()["count"] == 4
    ann = room.people["ann"]

    def change(client, person, state):
        body = json.dumps({"publication": room.publication.slug, "state": state})
        return client.post(f"{base}/people/{person.pk}/subscriptions", body, content_type="application/json")

    assert change(north, cy, "unsubscribed").status_code == 404  # out of scope: not found
    answer = change(north, ann, "unconfirmed")
    assert answer.status_code == 200 and answer.json()["state"] == "unconfirmed"
    deliver()
    assert smtp.recipients == ["ann@example.org"]  # the link that confirms it, to ann herself
    assert change(north, ann, "confirmed").status_code == 422  # only the person confirms
    for _ in range(2):
        answer = change(north, ann, "unsubscribed")
        assert answer.status_code == 200 and answer.json()["state"] == "unsubscribed"
    assert AuditRecord.objects.filter(action="bulletin.unsubscribe", target_id=str(answer.json()["id"])).count() == 1
    mine = north.get(f"{base}/people/{ann.pk}/subscriptions").json()
    assert [(s["publication"], s["state"], s["source"]) for s in mine["items"]] == [
        ("the-tenant", "unsubscribed", "organizer")
    ]
    assert ann.memberships.get(end__isnull=True).status == "member"


def test_members_feed_addresses_through_the_api(smtp):
    room = newsroom()
    admin = builders.account(room.org, "admin@example.org", is_admin=True)
    client = api_client(admin, room.org)
    base = f"/api/orgs/{room.org.slug}/publications/{room.publication.slug}/feed-tokens"
    made = client.post(base)
    assert made.status_code == 201
    url = made.json()["url"]
    assert url.startswith("https://members.example.org/o/") and url.endswith(".atom")
    path = "/" + url.split("://", 1)[1].partition("/")[2]
    assert Client().get(path).status_code == 200
    listed = client.get(base).json()
    assert listed["count"] == 1 and listed["items"][0]["revoked_at"] is None and "url" not in listed["items"][0]
    mine = made.json()["id"]
    revoked = client.post(f"{base}/{mine}/revoke").json()
    assert revoked["id"] == mine and revoked["revoked_at"] is not None
    assert client.post(f"{base}/{mine}/revoke").json() == revoked  # again: the same, nothing new
    assert Client().get(path).status_code == 404
    assert client.get(base).json()["items"][0]["revoked_at"] == revoked["revoked_at"]
    actions = AuditRecord.objects.filter(action__startswith="bulletin.feed_token").values_list("action", flat=True)
    assert sorted(actions) == ["bulletin.feed_token.create", "bulletin.feed_token.revoke"]


def test_revoking_a_feed_address_acts_on_exactly_the_one_named(smtp):
    """A secretary revokes their own address by its id: another person's address (or one of
    another publication, or no address at all) is a 404 and stays live; the caller's own other
    publication's address is untouched."""
    room = newsroom()
    north = bulletin.add_publication(organization=room.org, name="North News", unit=room.units["north"], by="test")
    secretary = api_client(builders.account(room.org, "sec@example.org", is_admin=True), room.org)
    other = api_client(builders.account(room.org, "ann@example.org", person=room.people["ann"]), room.org)
    base = f"/api/orgs/{room.org.slug}/publications/{room.publication.slug}/feed-tokens"
    north_base = f"/api/orgs/{room.org.slug}/publications/{north.slug}/feed-tokens"
    mine, theirs = secretary.post(base).json(), other.post(base).json()
    mine_north = secretary.post(north_base).json()

    def live(url: str) -> bool:
        return Client().get("/" + url.split("://", 1)[1].partition("/")[2]).status_code == 200

    assert secretary.post(f"{base}/{theirs['id']}/revoke").status_code == 404
    assert secretary.post(f"{base}/{mine_north['id']}/revoke").status_code == 404  # not this publication's
    assert secretary.post(f"{base}/999999/revoke").status_code == 404
    assert secretary.post(f"{base}/99999999999999999999/revoke").status_code == 422
    assert live(theirs["url"]) and live(mine["url"]) and live(mine_north["url"])
    assert secretary.post(f"{base}/{mine['id']}/revoke").status_code == 200
    assert not live(mine["url"]) and live(theirs["url"]) and live(mine_north["url"])
    assert AuditRecord.objects.filter(action="bulletin.feed_token.revoke").count() == 1


def test_a_subtree_article_outside_the_publications_district_is_refused_through_the_api():
    room = newsroom()
    north = bulletin.add_publication(organization=room.org, name="North News", unit=room.units["north"], by="test")
    client = api_client(builders.account(room.org, "admin@example.org", is_admin=True), room.org)
    url = f"/api/orgs/{room.org.slug}/publications/{north.slug}/issues"
    body = {"title": "One", "articles": [{"title": "A", "body": "B", "visibility": "subtree", "unit": "south"}]}
    answer = client.post(url, json.dumps(body), content_type="application/json")
    assert answer.status_code == 409
    assert answer.json()["field"] == "unit"
    assert answer.json()["detail"] == (
        "article 1 ('A'): unit 'south' (South) lies outside North, whose publication this is:"
        " a subtree article is for North or a unit below it"
    )
    assert not north.issues.exists()
    body["articles"][0]["unit"] = room.units["oak"].slug
    assert client.post(url, json.dumps(body), content_type="application/json").status_code == 201


def test_the_audience_count_and_the_send_name_the_member_statuses_alike(smtp):
    """`statuses` on both (the count's query, comma-separated; the send's body, a list); the count
    still takes its older name `status` (marked deprecated), and the statuses under both count."""
    room = newsroom()
    client = api_client(builders.account(room.org, "admin@example.org", is_admin=True), room.org)
    base = f"/api/orgs/{room.org.slug}/publications"
    slug = _post(client, base, {"name": "North News", "unit": "north", "footer": "North district"}).json()["slug"]
    _post(client, f"{base}/{slug}/issues", {"title": "One", "articles": [{"title": "Hello", "body": "*Hi*"}]})
    audience = f"{base}/{slug}/issues/1/audience"
    assert client.get(audience).json()["recipients"] == 3  # ann and fay (members), bob (candidate)
    assert client.get(audience, {"statuses": "candidate"}).json()["recipients"] == 1
    assert client.get(audience, {"statuses": "member, candidate"}).json()["recipients"] == 3
    assert client.get(audience, {"status": "candidate"}).json()["recipients"] == 1
    assert client.get(audience, {"statuses": "member", "status": "candidate,member"}).json()["recipients"] == 3
    assert client.get(audience, {"statuses": "member"}).json()["recipients"] == 2
    parameters = {
        parameter["name"]: (parameter.get("description"), parameter.get("deprecated", False))
        for parameter in client.get("/api/openapi.json").json()["paths"][
            "/api/orgs/{org_slug}/publications/{publication_slug}/issues/{number}/audience"
        ]["get"]["parameters"]
    }
    assert parameters["statuses"] == (
        "Member statuses, comma-separated (the send's `statuses`); default: the counted ones.",
        False,
    )
    assert parameters["status"] == ("The older name of `statuses` (the statuses under both count).", True)
    sent = _post(client, f"{base}/{slug}/issues/1/send", {"confirm": 1, "statuses": ["candidate"]})
    assert sent.status_code == 200 and sent.json()["deliveries"]["queued"] == 1
