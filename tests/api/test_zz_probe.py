import pytest
from tests.api.conftest import *  # noqa


@pytest.mark.django_db
def test_probe(api, org, tree):
    r = api.client.post(
        f"/api/orgs/{org.slug}/units/north/prepare", "", content_type="application/json", headers=api.headers
    )
    print(r.status_code, r.content)
