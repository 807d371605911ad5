from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Centrala"
admin.site.site_title = "Centrala"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Recordings are never served as static media: every request is checked.
    path("recordings/", include("recordings.urls")),
]
