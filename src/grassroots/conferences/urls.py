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

# The conference in session: conferences/views_assembly.py.
from . import views_assembly  # noqa: E402

urlpatterns += [
    path("o/<slug:org>/conferences/<int:conference>/session/", views_assembly.conference_session,
         name="conference_session"),
    path("o/<slug:org>/conferences/<int:conference>/me/", views_assembly.conference_delegate,
         name="conference_delegate"),
    path("o/<slug:org>/conferences/<int:conference>/polls/<int:poll>/vote/", views_assembly.conference_vote,
         name="conference_vote"),
    path("o/<slug:org>/conferences/<int:conference>/polls/<int:poll>/<slug:step>/",
         views_assembly.conference_poll_step, name="conference_poll_step"),
    path("o/<slug:org>/conferences/<int:conference>/projector/", views_assembly.conference_projector,
         name="conference_projector"),
]  # fmt: skip
