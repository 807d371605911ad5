from django.contrib import admin
from django.urls import include, path

from pbx.web import setup
from pbx.web import views as pbx_views
from reports import views as report_views
from security.twofactor import two_factor

urlpatterns = [
    path("admin/simulate/", pbx_views.simulate_call, name="simulate-call"),
    path("admin/status/", pbx_views.telephony_status, name="telephony-status"),
    path("admin/reports/", report_views.report_page, name="reports"),
    path("admin/reports/report.<str:fmt>", report_views.report_export, name="report-export"),
    path("admin/reports/calls.<str:fmt>", report_views.calls_export, name="calls-export"),
    path("admin/reports/exports/<uuid:pk>/", report_views.calls_export_status, name="calls-export-status"),
    path("admin/reports/exports/<uuid:pk>/file", report_views.calls_export_download, name="calls-export-download"),
    path("admin/prompts/<int:pk>/audio", pbx_views.prompt_audio, name="admin-prompt-audio"),
    path("admin/compliance/", pbx_views.compliance_checklist, name="compliance-checklist"),
    path("admin/2fa/", two_factor, name="two-factor"),
    path("admin/", admin.site.admin_view(pbx_views.admin_home), name="admin-home"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    # Setting phones up: the secret in the address is the key (pbx/provisioning.py).
    path("setup/<str:token>/", setup.setup_page, name="setup"),
    path("setup/<str:token>/linphone.xml", setup.linphone, name="setup-linphone"),
    path("provision/<str:token>/<str:filename>", setup.desk_phone, name="provision"),
    # Staff's own page: not the admin.
    path("me/", include("staff.urls")),
    # Recordings are never served as static media: every request is checked.
    path("recordings/", include("recordings.urls")),
]
