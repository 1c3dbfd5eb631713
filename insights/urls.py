from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("insights/", views.insights_ranking_page, name="ranking"),
    path("insights/export.csv", views.insights_ranking_csv, name="ranking_csv"),
    path("franchises/<uuid:franchise_id>/insights/", views.franchise_insights, name="franchise"),
    path("franchises/<uuid:franchise_id>/insights/export.csv", views.franchise_insights_csv, name="franchise_csv"),
]
