"""Routes of the audit trail pages, under /o/<org>/audit/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.audit_trail, name="audit"),
    path("export.csv", views.audit_csv, name="audit_export"),
]
