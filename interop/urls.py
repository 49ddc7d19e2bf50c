from django.urls import path

from . import views

app_name = "interop"
urlpatterns = [
    path("imports/", views.batch_list, name="batches"),
    path("imports/new/", views.upload, name="upload"),
    path("imports/<int:pk>/", views.batch_detail, name="batch"),
    path("imports/<int:pk>/commit/", views.batch_commit, name="batch_commit"),
    path("cadres/<int:pk>/lrmx/", views.cadre_lrmx, name="cadre_lrmx"),
    path("cadres/<int:pk>/photo/", views.cadre_photo, name="cadre_photo"),
    path("units/<int:pk>/lrmx/", views.unit_lrmx, name="unit_lrmx"),
]
