from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "扶贫 · 精准扶贫管理系统"
admin.site.site_title = "扶贫"
admin.site.index_title = "建档立卡数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("governance/", include("fupin.governance.urls")),
    path("", include("fupin.monitoring.urls")),
    path("", include("fupin.funds.urls")),
    path("", include("fupin.comparison.urls")),
    path("", include("fupin.assessment.urls")),
    path("", include("fupin.web.urls")),
]
