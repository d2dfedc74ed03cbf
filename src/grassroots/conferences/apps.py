from django.apps import AppConfig


class ConferencesConfig(AppConfig):
    name = "grassroots.conferences"
    verbose_name = "Conferences"
