from django.urls import path

from devices import views

urlpatterns = [path("devices/", views.home, name="devices_home")]
