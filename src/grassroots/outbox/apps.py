from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "grassroots.outbox"
    verbose_name = "Outbox"
