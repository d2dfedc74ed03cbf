import os
from pathlib import Path

import pytest

from grassroots.accounts.actions import create_account
from tests.support import builders
from tests.support.smtp import start_smtp_server


def pytest_configure(config):
    """Under pytest-xdist, each worker gets its own data directory (import files, progress files,
    the data directory children inherit) beside the shared one, so parallel tests never share files.
    Each worker has its own test database already (pytest-django adds the worker id to its name)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return
    from django.conf import settings

    data_dir = Path(settings.DATA_DIR) / "workers" / worker
    (data_dir / "imports").mkdir(parents=True, exist_ok=True)
    os.environ["GRASSROOTS_DATA_DIR"] = str(data_dir)
    settings.DATA_DIR, settings.IMPORTS_DIR = data_dir, data_dir / "imports"


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


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend sends to (the outbox's tests, the
    bulletin's, and every later feature that mails); yields what it received."""
    controller, catcher = start_smtp_server()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "bulletin@federation.example.org"
    settings.GRASSROOTS_BASE_URL = "https://members.example.org"
    yield catcher
    controller.stop()
