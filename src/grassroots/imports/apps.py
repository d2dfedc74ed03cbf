from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "grassroots.imports"
    label = "imports"
