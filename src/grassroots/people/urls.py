"""Routes of the people pages, under /o/<org>/people/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.people_list, name="people"),
    path("new/", views.add_person, name="person_add"),
    path("duplicates/", views.duplicates, name="person_duplicates"),
    path("options/", views.person_options, name="person_options"),
    path("unit-options/", views.unit_options, name="unit_options"),
    path("<int:pk>/", views.person_page, name="person"),
    path("<int:pk>/edit/", views.edit_person, name="person_edit"),
    path("<int:pk>/merge/", views.merge_people, name="person_merge"),
    path("<int:pk>/transfer/", views.transfer_member, name="person_transfer"),
    path("<int:pk>/status/", views.change_status, name="person_status"),
    path("<int:pk>/end/", views.end_membership, name="person_end"),
    path("<int:pk>/join/", views.join_unit, name="person_join"),
    path("<int:pk>/export/", views.export_person, name="person_export"),
    path("<int:pk>/erase/", views.erase_person, name="person_erase"),
    path("<int:pk>/consents/", views.record_consent, name="person_consent_add"),
    path("<int:pk>/consents/<int:consent>/withdraw/", views.withdraw_consent, name="person_consent_withdraw"),
]
