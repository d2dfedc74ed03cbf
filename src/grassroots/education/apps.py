from django.apps import AppConfig


class EducationConfig(AppConfig):
    """Member education has no models of its own (courses live with people): installed for its pages."""

    name = "grassroots.education"
    label = "education"
