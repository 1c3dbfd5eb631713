from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("franchises/<uuid:franchise_id>/webhooks/", views.franchise_subscriptions, name="franchise"),
    path("webhooks/", views.headquarters_subscriptions, name="headquarters"),
    path("webhooks/<uuid:subscription_id>/", views.subscription_detail, name="detail"),
    path("webhooks/<uuid:subscription_id>/enabled/", views.subscription_enabled, name="enabled"),
    path("webhooks/<uuid:subscription_id>/secret/", views.subscription_secret, name="secret"),
    path("webhooks/<uuid:subscription_id>/delete/", views.subscription_delete, name="delete"),
    path("webhooks/<uuid:subscription_id>/send-again/", views.delivery_send_again, name="send_again"),
]
