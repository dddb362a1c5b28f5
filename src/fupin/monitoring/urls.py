"""/monitoring/ (返贫监测, login) and /network/ (社会扶贫网, public) in one include."""

from django.urls import include, path

from fupin.monitoring import network_views, views

monitoring_patterns = [
    path("", views.index, name="index"),
    path("scan/", views.scan, name="scan"),
    path("from-comparison/", views.from_comparison, name="from_comparison"),
    path("report/", views.report, name="report"),
    path("overdue/", views.overdue, name="overdue"),
    path("follow-ups/", views.ranking, name="ranking"),
    path("case/<int:case_id>/", views.case_detail, name="case"),
    path("case/<int:case_id>/verify/", views.verify, name="verify"),
    path("case/<int:case_id>/measure/", views.measure, name="measure"),
    path("case/<int:case_id>/follow-up/", views.follow_up, name="follow_up"),
    path("case/<int:case_id>/remove/", views.remove, name="remove"),
    path("case/<int:case_id>/return/", views.request_return, name="request_return"),
    path("case/<int:case_id>/decide-return/", views.decide_return, name="decide_return"),
    path(
        "household/<str:household_id>/stability/",
        views.household_stability,
        name="stability",
    ),
]

network_patterns = [
    path("", network_views.home, name="home"),
    path("need/<int:need_id>/", network_views.need_detail, name="need"),
    path("donor/", network_views.donor_register, name="donor"),
    path("donors/", network_views.donors, name="donors"),
    path("figures/", network_views.figures_page, name="figures"),
    path("manage/", network_views.manage, name="manage"),
    path("manage/register/", network_views.manage_register, name="manage_register"),
    path("manage/publish/", network_views.manage_publish, name="manage_publish"),
    path("manage/deliver/<int:pledge_id>/", network_views.manage_deliver, name="manage_deliver"),
]

# Public pages of the network (no login): the privacy test walks every one of them.
PUBLIC_NETWORK_NAMES = ("home", "need", "donor", "donors", "figures")

urlpatterns = [
    path("monitoring/", include((monitoring_patterns, "monitoring"))),
    path("network/", include((network_patterns, "network"))),
]
