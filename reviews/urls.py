from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("reviews/", views.inbox, name="inbox"),
    path("reviews/approve/", views.approve, name="approve"),
    path("reviews/<uuid:review_id>/", views.detail, name="detail"),
    path("reviews/<uuid:review_id>/reply/", views.reply, name="reply"),
    path("reviews/<uuid:review_id>/draft/", views.draft, name="draft"),
    path("reviews/<uuid:review_id>/reply/delete/", views.delete_reply, name="delete_reply"),
]
