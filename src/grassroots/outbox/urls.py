"""Provider webhooks for bounces and complaints (django-anymail's tracking webhooks only), under
/anymail/: each authenticates by HTTP basic auth with ANYMAIL_WEBHOOK_SECRET, not by a session."""

from anymail import urls as anymail_urls  # type: ignore[import-untyped]

urlpatterns = [route for route in anymail_urls.urlpatterns if (route.name or "").endswith("tracking_webhook")]
