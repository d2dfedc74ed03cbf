from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "grassroots.outbox"
    verbose_name = "Outbox"

    def ready(self) -> None:
        # A provider's webhook (django-anymail) told of a bounce, deferral or complaint.
        from anymail.signals import tracking  # type: ignore[import-untyped]

        from .bounces import anymail_tracking

        tracking.connect(anymail_tracking, dispatch_uid="outbox.anymail_tracking")
