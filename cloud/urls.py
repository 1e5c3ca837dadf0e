from django.urls import path

from cloud import views

urlpatterns = [path("cloud/", views.home, name="cloud_home")]
