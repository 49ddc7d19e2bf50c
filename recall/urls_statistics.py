"""``/recall/statistics/``: the recall statistics page (``?format=xlsx`` downloads it)."""

from django.urls import path

from .views_statistics import statistics_view

app_name = "recall_stats"

urlpatterns = [
    path("", statistics_view, name="index"),
]
