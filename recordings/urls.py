from django.urls import path

from recordings import views

app_name = "recordings"
urlpatterns = [path("<uuid:pk>/audio", views.audio, name="audio")]
