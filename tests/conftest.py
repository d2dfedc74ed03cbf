import pytest

from grassroots.accounts.actions import create_account
from tests.support import builders


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
def staff(org, django_user_model):
    """The administrator of `org`: sees and changes the whole organization, nothing else."""
    account = create_account(
        email="staff@example.org", organization=org, is_admin=True, password="pw-staff-1", by="test"
    )
    return account.user


@pytest.fixture
def plain_user(db, django_user_model):
    return django_user_model.objects.create_user(username="plain@example.org", password="pw-plain-1")
