"""Text with NUL characters gets a clear error everywhere, never a server error."""

import pytest
from django.urls import reverse

from tests.support.sessions import sign_in


@pytest.mark.parametrize("path", ["people", "api"])
def test_a_nul_character_in_a_search_is_refused(client, staff, org, path):
    sign_in(client, staff)
    if path == "people":
        response = client.get(reverse("people", kwargs={"org": org.slug}), {"q": "a\x00b"})
        assert (response.status_code, response.content) == (400, b"parameters must not contain NUL characters")
    else:
        response = client.get(f"/api/orgs/{org.slug}/people", {"q": "a\x00b"})
        assert response.status_code == 422
        assert response.json()["detail"] == "parameters must not contain NUL characters"


def test_a_nul_character_in_a_form_is_refused(client, staff, org):
    sign_in(client, staff)
    response = client.post(reverse("person_add", kwargs={"org": org.slug}), {"name": "Ann\x00"})
    assert response.status_code == 400
