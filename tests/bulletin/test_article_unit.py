"""An article's `unit` is for a subtree article only: given with another visibility it is refused,
naming `unit`, from the terminal, the API and the editor page, and nothing is written."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.accounts.actions import create_api_token
from grassroots.cli import main
from tests.support import builders
from tests.support.bulletin import newsroom
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db

REFUSED = "unit is only for a subtree article (this one's visibility is 'members')"


def test_the_terminal_refuses_a_unit_for_a_members_article(capsys, tmp_path):
    room = newsroom()
    body = tmp_path / "b.md"
    body.write_text("News.\n", encoding="utf-8")
    before = room.issue.articles.count()
    code = main(
        ["bulletin", "article", "add", str(room.issue.pk), "--title", "Old", "--body-file", str(body),
         "--visibility", "members", "--unit", "north"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and f"article {before + 1} ('Old'): {REFUSED}" in err
    assert room.issue.articles.count() == before


def test_the_api_refuses_a_unit_for_a_members_article_naming_unit():
    room = newsroom()
    admin = builders.account(room.org, "admin@example.org", is_admin=True)
    token = create_api_token(user=admin, organization=room.org, name="t", by="test")[1]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    base = f"/api/orgs/{room.org.slug}/publications/{room.publication.slug}/issues/1/articles"
    before = room.issue.articles.count()
    answer = client.post(
        base,
        json.dumps({"title": "Old", "body": "Hi", "visibility": "members", "unit": "north"}),
        content_type="application/json",
    )
    assert answer.status_code == 409 and answer.json()["field"] == "unit"
    assert REFUSED in answer.json()["detail"]
    assert room.issue.articles.count() == before
    # Changing a subtree article to members drops its unit; naming one again is refused.
    made = client.post(
        base,
        json.dumps({"title": "North", "body": "Hi", "visibility": "subtree", "unit": "north"}),
        content_type="application/json",
    ).json()
    edit = f"{base}/{made['id']}/edit"
    changed = client.post(edit, json.dumps({"visibility": "members"}), content_type="application/json")
    assert changed.status_code == 200 and changed.json()["unit"] is None
    again = client.post(edit, json.dumps({"unit": "north"}), content_type="application/json")
    assert again.status_code == 409 and again.json()["field"] == "unit"


def test_the_editor_page_refuses_a_unit_for_a_members_article():
    room = newsroom()
    client = Client()
    sign_in(client, builders.account(room.org, "admin@example.org", is_admin=True))
    add = reverse("bulletin_article_add", args=[room.org.slug, room.publication.slug, 1])
    before = room.issue.articles.count()
    answer = client.post(
        add, {"new-title": "Old", "new-body": "x", "new-visibility": "members", "new-visibility_unit": "north"}
    )
    text = answer.content.decode()
    assert answer.status_code == 400 and 'id="id_new-visibility_unit_error' in text
    assert "unit is only for a subtree article (this one&#x27;s visibility is &#x27;members&#x27;)" in text
    assert room.issue.articles.count() == before
