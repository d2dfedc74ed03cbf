"""Routes of the health pages: the dashboard of an organization and a unit's health tab."""

from django.urls import path

from . import views

urlpatterns = [
    path("o/<slug:org>/dashboard/", views.dashboard, name="dashboard"),
    path("o/<slug:org>/u/<slug:unit>/health/", views.unit_health, name="unit_health"),
]
