"""Routes of the organization pages; `home` is where sign-in lands."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("o/<slug:org>/", views.organization_page, name="organization"),
    path("o/<slug:org>/units/new/", views.add_unit, name="unit_add"),
    path("o/<slug:org>/u/<slug:unit>/", views.unit_page, name="unit"),
    path("o/<slug:org>/u/<slug:unit>/tree/", views.tree_children, name="unit_tree_children"),
    path("o/<slug:org>/u/<slug:unit>/parents/", views.parent_options, name="unit_parent_options"),
    path("o/<slug:org>/u/<slug:unit>/found/", views.found_unit, name="unit_found"),
    path("o/<slug:org>/u/<slug:unit>/prepare/", views.prepare_unit, name="unit_prepare"),
    path("o/<slug:org>/u/<slug:unit>/dormant/", views.make_dormant, name="unit_dormant"),
    path("o/<slug:org>/u/<slug:unit>/dissolve/", views.dissolve_unit, name="unit_dissolve"),
    path("o/<slug:org>/u/<slug:unit>/rename/", views.rename_unit, name="unit_rename"),
    path("o/<slug:org>/u/<slug:unit>/move/", views.move_unit, name="unit_move"),
    path("o/<slug:org>/u/<slug:unit>/posts/", views.assign_post, name="unit_post_assign"),
    path("o/<slug:org>/u/<slug:unit>/posts/candidates/", views.post_candidates, name="unit_post_candidates"),
    path("o/<slug:org>/u/<slug:unit>/posts/<int:post>/end/", views.end_post, name="unit_post_end"),
]
