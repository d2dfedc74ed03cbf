"""Routes of the education pages: a person's education and its reviews, a unit's review queue."""

from django.urls import path

from . import views

urlpatterns = [
    path("o/<slug:org>/people/<int:pk>/education/", views.person_education, name="person_education"),
    path("o/<slug:org>/people/<int:pk>/education/review/", views.review_declaration, name="person_education_review"),
    path("o/<slug:org>/u/<slug:unit>/education/reviews/", views.unit_reviews, name="unit_education_reviews"),
]
