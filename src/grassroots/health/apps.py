from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "grassroots.health"
    label = "health"
