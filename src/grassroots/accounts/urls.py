"""Account pages under /accounts/: the two-factor steps and the user's API tokens."""

from django.urls import path

from . import views

urlpatterns = [
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/replace/", views.two_factor_replace, name="two_factor_replace"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
