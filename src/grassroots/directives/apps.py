from django.apps import AppConfig


class DirectivesConfig(AppConfig):
    name = "grassroots.directives"
    verbose_name = "Directives"
