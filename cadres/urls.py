from django.urls import path

from . import views
from .views_exports import urlpatterns as export_urls
from .views_leaves import urlpatterns as leave_urls
from .views_search import urlpatterns as search_urls

app_name = "cadres"
urlpatterns = [
    path("", views.cadre_list, name="list"),
    *search_urls,  # search/ (the header search box)
    *export_urls,  # export/ (the roster as xlsx with the columns picked)
    path("new/", views.cadre_create, name="create"),
    path("<int:pk>/", views.cadre_detail, name="detail"),
    path("<int:pk>/edit/", views.cadre_edit, name="edit"),
    path("<int:pk>/delete/", views.cadre_delete, name="delete"),
    *leave_urls,  # before the history patterns, whose <kind> would take "leaves"
    path("<int:pk>/<str:kind>/new/", views.history_edit, name="history_add"),
    path("<int:pk>/<str:kind>/<int:hid>/edit/", views.history_edit, name="history_edit"),
    path("<int:pk>/<str:kind>/<int:hid>/delete/", views.history_delete, name="history_delete"),
    path("units/", views.unit_list, name="units"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/team/add/", views.team_add, name="team_add"),
    path("units/<int:pk>/team/<int:mid>/remove/", views.team_remove, name="team_remove"),
    path("units/<int:pk>/team/<int:mid>/main/", views.team_set_main, name="team_set_main"),
]
