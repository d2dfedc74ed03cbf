"""Top-level routes: the web pages, the API under /api/, the admin for superusers."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from grassroots.accounts.admin_site import GrassrootsAdminSite
from grassroots.api.root import api
from grassroots.bulletin import views as bulletin_views
from grassroots.outbox.tokens import UNSUBSCRIBE_PATH

# A busy SQLite database met outside a view answers 503, like one met in a view; any other error, 500.
handler500 = "grassroots.middleware.server_error"
# An unknown path under /api/ answers the API's JSON error; elsewhere, the 404 page.
handler404 = "grassroots.middleware.page_not_found"

# The admin keeps its registrations but asks for a verified second factor and a superuser.
admin.site.__class__ = GrassrootsAdminSite

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("grassroots.accounts.urls")),
    path(
        "o/<slug:org>/people/<int:pk>/subscriptions/",
        bulletin_views.person_subscriptions,
        name="person_subscriptions",
    ),
    path("o/<slug:org>/people/", include("grassroots.people.urls")),
    path("o/<slug:org>/audit/", include("grassroots.audit.urls")),
    path("o/<slug:org>/imports/", include("grassroots.imports.urls")),
    path("o/<slug:org>/bulletin/", include("grassroots.bulletin.urls")),
    path("anymail/", include("grassroots.outbox.urls")),
    path("subscribe/confirm/<str:token>/", bulletin_views.confirm_page, name="subscription_confirm"),
    path(UNSUBSCRIBE_PATH + "<str:token>/", bulletin_views.unsubscribe_page, name="unsubscribe"),
    path("", include("grassroots.directives.urls")),
    path("", include("grassroots.conferences.urls")),
    path("", include("grassroots.health.urls")),
    path("", include("grassroots.education.urls")),
    path("", include("grassroots.meetings.urls")),
    path("", include("grassroots.organizations.urls")),
]
