from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("insights/", views.insights_ranking_page, name="ranking"),
    path("franchises/<uuid:franchise_id>/insights/", views.franchise_insights, name="franchise"),
]
