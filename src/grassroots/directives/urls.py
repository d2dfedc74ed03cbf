"""Routes of the directive pages (under /o/<org>/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("o/<slug:org>/u/<slug:unit>/assignments/", views.unit_assignments, name="unit_assignments"),
    path("o/<slug:org>/u/<slug:unit>/directives/new/", views.directive_add, name="directive_add"),
    path("o/<slug:org>/directives/<int:directive>/", views.directive_page, name="directive"),
    path("o/<slug:org>/directives/<int:directive>/u/<slug:unit>/", views.assignment_page, name="assignment"),
    path(
        "o/<slug:org>/directives/<int:directive>/u/<slug:unit>/report/",
        views.assignment_report,
        name="assignment_report",
    ),
    path(
        "o/<slug:org>/directives/<int:directive>/u/<slug:unit>/reports/<int:revision>/files/<str:field>/",
        views.report_file,
        name="report_file",
    ),
    path(
        "o/<slug:org>/directives/<int:directive>/u/<slug:unit>/status/",
        views.assignment_status,
        name="assignment_status",
    ),
    path(
        "o/<slug:org>/directives/<int:directive>/u/<slug:unit>/adapt/",
        views.assignment_adapt,
        name="assignment_adapt",
    ),
]
