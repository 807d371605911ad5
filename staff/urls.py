from django.contrib.auth import views as auth_views
from django.urls import path

from staff import views

app_name = "staff"
urlpatterns = [
    path("", views.page, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="staff/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="staff:login"), name="logout"),
    path("forwarding", views.set_forwarding, name="forwarding"),
    path("dnd", views.set_dnd, name="dnd"),
    path("devices/<int:pk>/ring-order", views.set_ring_order, name="ring-order"),
    path("call", views.call_number, name="call"),
    path("callbacks/<uuid:pk>/call", views.call_back, name="call-back"),
    path("callbacks/<uuid:pk>/done", views.callback_done, name="callback-done"),
    path("calls/<uuid:pk>/note", views.add_note, name="note"),
    path("voicemail/<int:pk>/audio", views.message_audio, name="voicemail-audio"),
]
