"""/api/: the REST API for integrations. The OpenAPI schema is at /api/schema/ and a browsable
page at /api/docs/ (served from this host: no outside network needed)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from company_numbers.api import CompanyNumberViewSet, PortingRequestViewSet
from recordings.api import RecordingControlView

router = DefaultRouter(trailing_slash=True)
router.register("numbers", CompanyNumberViewSet, basename="number")
router.register("porting-requests", PortingRequestViewSet, basename="porting-request")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("calls/<uuid:pk>/recording/<str:action>", RecordingControlView.as_view(), name="recording-control"),
    path("", include(router.urls)),
]
