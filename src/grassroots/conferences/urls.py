"""Routes of the conference pages (under /o/<org>/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("o/<slug:org>/u/<slug:unit>/conferences/", views.unit_conferences, name="unit_conferences"),
    path("o/<slug:org>/conferences/<int:conference>/", views.conference_page, name="conference"),
    path(
        "o/<slug:org>/conferences/<int:conference>/apportion/", views.conference_apportion, name="conference_apportion"
    ),
    path("o/<slug:org>/conferences/<int:conference>/call/", views.conference_call, name="conference_call"),
    path("o/<slug:org>/conferences/<int:conference>/step/", views.conference_step, name="conference_step"),
]
