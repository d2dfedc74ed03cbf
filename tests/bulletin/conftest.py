import pytest

from tests.support.smtp import start_smtp_server


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend sends to."""
    controller, catcher = start_smtp_server()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "bulletin@federation.example.org"
    settings.GRASSROOTS_BASE_URL = "https://members.example.org"
    yield catcher
    controller.stop()
