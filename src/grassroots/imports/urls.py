"""Routes of the member file pages, under /o/<org>/imports/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.imports_page, name="imports"),
    path("export/", views.export_page, name="members_export"),
    path("<int:pk>/", views.run_page, name="import_run"),
    path("<int:pk>/again/", views.run_again, name="import_again"),
    path("<int:pk>/errors.csv", views.run_errors, name="import_errors"),
]
