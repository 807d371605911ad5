"""/api/: the REST API for integrations. The OpenAPI schema is at /api/schema/ and a browsable
page at /api/docs/ (served from this host: no outside network needed)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from company_numbers.api import CompanyNumberViewSet, PortingRequestViewSet
from compliance.api import DataSubjectRequestViewSet
from pbx.web.api import CallbackViewSet, CallViewSet, ClickToCallView
from pbx.web.prompts_api import PromptViewSet
from recordings.api import RecordingControlView, RecordingViewSet

router = DefaultRouter(trailing_slash=True)
router.register("numbers", CompanyNumberViewSet, basename="number")
router.register("porting-requests", PortingRequestViewSet, basename="porting-request")
router.register("calls", CallViewSet, basename="call")
router.register("callbacks", CallbackViewSet, basename="callback")
router.register("recordings", RecordingViewSet, basename="recording")
router.register("prompts", PromptViewSet, basename="prompt")
router.register("data-subject-requests", DataSubjectRequestViewSet, basename="data-subject-request")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("calls/<uuid:pk>/recording/<str:action>", RecordingControlView.as_view(), name="recording-control"),
    path("click-to-call", ClickToCallView.as_view(), name="click-to-call"),
    path("", include(router.urls)),
]
