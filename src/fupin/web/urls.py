from django.urls import path

from fupin.web import views
from fupin.web.api import api

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("account/", views.account, name="account"),
    path("households/", views.household_search, name="search"),
    path("households/export.xlsx", views.household_export, name="export"),
    path("households/<str:household_id>/", views.household_file, name="household"),
    path("households/<str:household_id>/reveal/", views.household_reveal, name="reveal"),
    path("households/<str:household_id>/edit/", views.household_edit, name="household_edit"),
    path(
        "households/<str:household_id>/members/<int:member_pk>/edit/",
        views.member_edit,
        name="member_edit",
    ),
    path("households/<str:household_id>/adjust/", views.adjustment_request, name="adjust"),
    path("households/<str:household_id>/visits/", views.visit_add, name="visit_add"),
    path("households/<str:household_id>/helpcard.pdf", views.help_card_pdf, name="helpcard"),
    path("adjustments/", views.adjustment_list, name="adjustments"),
    path("adjustments/<int:pk>/review/", views.adjustment_review, name="review"),
    path("regions/<str:code>/", views.region_page, name="region"),
    path("regions/<str:code>/years/", views.region_years, name="region_years"),
    path("regions/<str:code>/register.pdf", views.village_register_pdf, name="register"),
    path("regions/<str:code>/book.pdf", views.township_book_pdf, name="book"),
    path("import/", views.import_page, name="import"),
    path("import/jobs/<int:pk>/", views.import_job, name="import_job"),
    path("import/jobs/<int:pk>/status/", views.import_job_status, name="import_job_status"),
    path("audit/", views.audit_log, name="audit"),
    path("users/", views.user_admin, name="users"),
    path("evaluate/", views.evaluate_latest, name="evaluate"),
    path("api/", api.urls),
]
