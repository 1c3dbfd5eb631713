from django.urls import path

from . import views

app_name = "generation"

urlpatterns = [
    path("drafts/", views.drafts_queue, name="drafts"),
    path("drafts/many/", views.drafts_bulk, name="drafts_bulk"),
    path("drafts/undo/", views.drafts_reject_undo_view, name="drafts_undo"),
    path("ai/posts/<uuid:post_id>/suggest/", views.post_assist, name="assist_post"),
    path("ai/franchises/<uuid:franchise_id>/suggest/", views.franchise_assist, name="assist_franchise"),
]
