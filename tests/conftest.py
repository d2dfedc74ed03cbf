import pytest

from tests import builders


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The accounts tests create need no strong hash; the production one costs 0.2 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org(db):
    return builders.organization()


@pytest.fixture
def tree(org):
    return builders.federation(org)


@pytest.fixture
def staff(db, django_user_model):
    return django_user_model.objects.create_user(username="staff@example.org", password="pw-staff-1", is_staff=True)


@pytest.fixture
def plain_user(db, django_user_model):
    return django_user_model.objects.create_user(username="plain@example.org", password="pw-plain-1")
