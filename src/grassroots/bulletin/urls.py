"""Routes of the bulletin pages, under /o/<org>/bulletin/."""

from django.urls import path

from . import views
from .feeds import MembersFeed, PublicFeed, SubtreeFeed

urlpatterns = [
    path("units/<slug:unit>/feed.atom", SubtreeFeed(), name="bulletin_subtree_feed"),
    path("", views.publications_page, name="bulletin"),
    path("<slug:publication>/", views.publication_page, name="bulletin_publication"),
    path("<slug:publication>/<int:number>/", views.issue_page, name="bulletin_issue"),
    path("<slug:publication>/<int:number>/articles/", views.article_add, name="bulletin_article_add"),
    path("<slug:publication>/<int:number>/articles/<int:article>/", views.article_change, name="bulletin_article"),
    path("<slug:publication>/<int:number>/send/", views.issue_send, name="bulletin_issue_send"),
    path("<slug:publication>/<int:number>/pause/", views.issue_pause, name="bulletin_issue_pause"),
    # Open to anyone: the archive (visibility applied per article) and the public feed.
    path("<slug:publication>/archive/", views.archive_page, name="bulletin_archive"),
    path("<slug:publication>/archive/<int:number>/", views.archive_issue_page, name="bulletin_archive_issue"),
    path("<slug:publication>/feed.atom", PublicFeed(), name="bulletin_feed"),
    path("<slug:publication>/subscribe/", views.subscribe_page, name="bulletin_subscribe"),
    # The secret in the address is the credential (a feed reader has no session).
    path("<slug:publication>/members/<str:secret>.atom", MembersFeed(), name="bulletin_members_feed"),
    path("<slug:publication>/members-feed/", views.members_feed_address, name="bulletin_members_feed_address"),
]
