"""The API token pages: a user lists, creates (shown once) and revokes their own tokens only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.accounts.actions import create_account, create_api_token
from grassroots.accounts.models import ApiToken, token_digest
from tests.support import builders
from tests.support.html import text
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db

TOKENS = reverse("tokens")


def revoke_url(token: ApiToken) -> str:
    return reverse("token_revoke", kwargs={"pk": token.pk})


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


@pytest.fixture
def someone_elses_token(org):
    other = create_account(email="other@example.org", organization=org, password="pw-other-1", by="test").user
    record, _token = create_api_token(user=other, organization=org, by="test", name="theirs")
    return record


def test_anonymous_is_sent_to_sign_in(client, someone_elses_token):
    for url in (TOKENS, revoke_url(someone_elses_token)):
        response = client.post(url) if url != TOKENS else client.get(url)
        assert response["Location"] == f"{reverse('login')}?next={url}"


def test_the_list_shows_the_users_own_tokens(staff_client, staff, org, someone_elses_token):
    record, _token = create_api_token(user=staff, organization=org, by="test", name="member import", days=30)
    page = staff_client.get(TOKENS)
    assert page.status_code == 200
    rows = text(page, "tokens")
    assert f"{record.prefix}… member import {org.name}" in rows
    assert "theirs" not in rows
    assert someone_elses_token.prefix not in rows


def test_the_list_does_not_query_per_token(staff_client, staff, org, django_assert_max_num_queries):
    for number in range(5):
        create_api_token(user=staff, organization=org, by="test", name=f"script {number}")
    # Session, device, user; organizations visible; the tokens with their organization.
    with django_assert_max_num_queries(8):
        assert len(staff_client.get(TOKENS).context["tokens"]) == 5


def test_a_new_token_is_shown_once_and_works(staff_client, staff, org):
    created = staff_client.post(TOKENS, {"name": "reports", "organization": org.slug, "days": "30"})
    assert created.status_code == 200
    token = created.context["token"]
    assert token.startswith("gr_")
    assert created.content.decode().count(token) == 1
    record = ApiToken.objects.get(user=staff)
    assert (record.name, record.organization, record.digest) == ("reports", org, token_digest(token))
    assert (record.expires_at - record.created_at).days in (29, 30)

    assert token not in staff_client.get(TOKENS).content.decode()
    answer = Client().get(f"/api/orgs/{org.slug}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("0", "Ensure this value is greater than or equal to 1."),
        ("367", "Ensure this value is less than or equal to 366."),
    ],
)
def test_a_token_lives_1_to_366_days(staff_client, staff, org, days, message):
    refused = staff_client.post(TOKENS, {"name": "x", "organization": org.slug, "days": days})
    assert message in text(refused, "main")
    assert not ApiToken.objects.filter(user=staff).exists()


def test_only_an_organization_the_user_sees_can_be_chosen(staff_client, staff):
    elsewhere = builders.organization()
    refused = staff_client.post(TOKENS, {"name": "x", "organization": elsewhere.slug, "days": "30"})
    assert "Select a valid choice." in text(refused, "main")
    assert not ApiToken.objects.filter(user=staff).exists()


def test_a_user_who_sees_no_organization_is_told_so(client, plain_user):
    client.force_login(plain_user)
    page = client.get(TOKENS)
    assert "You can see no organization, so a token would reach nothing." in text(page, "main")


def test_revoking_a_token(staff_client, staff, org):
    record, token = create_api_token(user=staff, organization=org, by="test")
    response = staff_client.post(revoke_url(record))
    assert response["Location"] == TOKENS
    record.refresh_from_db()
    assert record.revoked_at is not None
    assert f"Token {record.prefix}… is revoked" in text(staff_client.get(TOKENS), "messages")
    assert Client().get("/api/orgs", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_revoking_is_a_post(staff_client, staff, org):
    record, _token = create_api_token(user=staff, organization=org, by="test")
    assert staff_client.get(revoke_url(record)).status_code == 405


def test_revoking_twice_says_so(staff_client, staff, org):
    record, _token = create_api_token(user=staff, organization=org, by="test")
    staff_client.post(revoke_url(record))
    staff_client.post(revoke_url(record))
    assert "already revoked" in text(staff_client.get(TOKENS), "messages")


def test_someone_elses_token_is_not_found(staff_client, someone_elses_token):
    assert staff_client.post(revoke_url(someone_elses_token)).status_code == 404
    assert staff_client.post(reverse("token_revoke", kwargs={"pk": 987654})).status_code == 404
    someone_elses_token.refresh_from_db()
    assert someone_elses_token.revoked_at is None
