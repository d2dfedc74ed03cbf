"""Routes of the conference pages (under /o/<org>/)."""

from django.urls import path

from . import views, views_delegations

urlpatterns = [
    path("o/<slug:org>/u/<slug:unit>/conferences/", views.unit_conferences, name="unit_conferences"),
    path("o/<slug:org>/conferences/<int:conference>/", views.conference_page, name="conference"),
    path(
        "o/<slug:org>/conferences/<int:conference>/apportion/", views.conference_apportion, name="conference_apportion"
    ),
    path("o/<slug:org>/conferences/<int:conference>/call/", views.conference_call, name="conference_call"),
    path("o/<slug:org>/conferences/<int:conference>/step/", views.conference_step, name="conference_step"),
]

# Delegations, credentials and presence (views_delegations).
urlpatterns += [
    path(
        "o/<slug:org>/conferences/<int:conference>/delegations/",
        views_delegations.conference_delegations,
        name="conference_delegations",
    ),
    path(
        "o/<slug:org>/conferences/<int:conference>/credential/",
        views_delegations.conference_credential,
        name="conference_credential",
    ),
    path(
        "o/<slug:org>/conferences/<int:conference>/presence/",
        views_delegations.conference_presence,
        name="conference_presence",
    ),
    path(
        "o/<slug:org>/conferences/<int:conference>/checkin/",
        views_delegations.conference_checkin,
        name="conference_checkin",
    ),
    path(
        "o/<slug:org>/conferences/<int:conference>/participants.csv",
        views_delegations.conference_participants,
        name="conference_participants",
    ),
]

# The hall's host: the organizers issue the link; the host's pages need no sign-in.
urlpatterns += [
    path(
        "o/<slug:org>/conferences/<int:conference>/host-link/",
        views_delegations.conference_host_link,
        name="conference_host_link",
    ),
    path("c/<str:token>/", views_delegations.conference_host_page, name="conference_host_page"),
    path("c/<str:token>/checkin/", views_delegations.conference_host_checkin, name="conference_host_checkin"),
]

# A unit's own delegation, reached from the unit (its officers record it).
urlpatterns += [
    path(
        "o/<slug:org>/u/<slug:unit>/conferences/<int:conference>/delegation/",
        views_delegations.unit_delegation,
        name="unit_delegation",
    ),
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

# Motions, amendments and polls from the session page (views_motions).
from . import views_motions  # noqa: E402

SESSION = "o/<slug:org>/conferences/<int:conference>"
urlpatterns += [
    path(f"{SESSION}/motions/", views_motions.motion_add, name="conference_motion_add"),
    path(f"{SESSION}/motions/<int:motion>/status/", views_motions.motion_status, name="conference_motion_status"),
    path(f"{SESSION}/motions/<int:motion>/amend/", views_motions.motion_amend, name="conference_motion_amend"),
    path(f"{SESSION}/motions/<int:motion>/publish/", views_motions.motion_publish, name="conference_motion_publish"),
    path(f"{SESSION}/polls/add/", views_motions.poll_add, name="conference_poll_add"),
    path(f"{SESSION}/polls/<int:poll>/close/totals/", views_motions.poll_close_totals, name="conference_poll_totals"),
]
# Elections, ballots, proxies and constituting from the pages (views_elections).
from . import views_elections  # noqa: E402

urlpatterns += [
    path("o/<slug:org>/conferences/<int:conference>/elections/", views_elections.conference_election_add,
         name="conference_election_add"),
    path("o/<slug:org>/conferences/<int:conference>/elections/<int:election>/ballot/",
         views_elections.conference_ballot, name="conference_ballot"),
    path("o/<slug:org>/conferences/<int:conference>/elections/<int:election>/<slug:step>/",
         views_elections.conference_election_step, name="conference_election_step"),
    path("o/<slug:org>/conferences/<int:conference>/proxy/", views_elections.conference_proxy_give,
         name="conference_proxy_give"),
    path("o/<slug:org>/conferences/<int:conference>/proxy/withdraw/", views_elections.conference_proxy_withdraw,
         name="conference_proxy_withdraw"),
    path("o/<slug:org>/conferences/<int:conference>/constitute/", views_elections.conference_constitute,
         name="conference_constitute"),
]  # fmt: skip
