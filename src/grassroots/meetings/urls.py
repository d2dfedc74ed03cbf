"""Routes of the meeting pages (under /o/<org>/) and of the calendar feeds (under /feeds/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("o/<slug:org>/u/<slug:unit>/meetings/", views.unit_meetings, name="unit_meetings"),
    path("o/<slug:org>/meetings/<int:meeting>/", views.meeting_page, name="meeting"),
    path("o/<slug:org>/meetings/<int:meeting>/attend/", views.meeting_attend, name="meeting_attend"),
    path("o/<slug:org>/meetings/<int:meeting>/attend/file/", views.meeting_attend_file, name="meeting_attend_file"),
    path("o/<slug:org>/meetings/<int:meeting>/register/", views.meeting_register, name="meeting_register"),
    path("o/<slug:org>/meetings/<int:meeting>/check-in/", views.meeting_check_in, name="meeting_check_in"),
    path(
        "o/<slug:org>/meetings/<int:meeting>/approve-minutes/",
        views.meeting_approve_minutes,
        name="meeting_approve_minutes",
    ),
    path("o/<slug:org>/meetings/<int:meeting>/agenda/carry/", views.meeting_agenda_carry, name="meeting_agenda_carry"),
    path("o/<slug:org>/meetings/<int:meeting>/course/", views.meeting_course, name="meeting_course"),
    path("o/<slug:org>/meetings/<int:meeting>/held/", views.meeting_held, name="meeting_held"),
    path("o/<slug:org>/meetings/<int:meeting>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("o/<slug:org>/meetings/<int:meeting>/decide/", views.meeting_decide, name="meeting_decide"),
    path("o/<slug:org>/meetings/<int:meeting>/agenda/", views.meeting_agenda, name="meeting_agenda"),
    path("o/<slug:org>/meetings/<int:meeting>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("o/<slug:org>/meetings/<int:meeting>/host-link/", views.meeting_host_link, name="meeting_host_link"),
    path("o/<slug:org>/meetings/<int:meeting>/edit/", views.meeting_edit, name="meeting_edit"),
    path(
        "o/<slug:org>/meetings/<int:meeting>/agenda/<int:item>/move/",
        views.meeting_agenda_move,
        name="meeting_agenda_move",
    ),
    path("o/<slug:org>/series/<int:series>/", views.series_page, name="meeting_series"),
    path("o/<slug:org>/feeds/", views.feeds_page, name="meeting_feeds"),
    path("o/<slug:org>/feeds/<int:feed>/revoke/", views.feed_revoke, name="meeting_feed_revoke"),
    path("feeds/<str:secret>.ics", views.meeting_feed, name="meeting_feed"),
    path("h/<str:token>/", views.host_page, name="host_page"),
    path("h/<str:token>/counter/", views.host_counter, name="host_counter"),
    path("h/<str:token>/tap/", views.host_tap, name="host_tap"),
    path("h/<str:token>/walk-in/", views.host_walk_in, name="host_walk_in"),
    path("h/<str:token>/scan/", views.host_scan, name="host_scan"),
]
