from django.urls import path

from verification import views

urlpatterns = [
    path("hooks/twilio/status/", views.twilio_status, name="twilio_status"),
    path("dev/outbox/", views.dev_outbox, name="dev_outbox"),
    path("dev/outbox.json", views.dev_outbox_json, name="dev_outbox_json"),
]
