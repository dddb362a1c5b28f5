from django.urls import path

from fupin.assessment import views

app_name = "assessment"

urlpatterns = [
    path("assessment/", views.plan_list, name="plans"),
    path("assessment/plans/upload/", views.plan_upload, name="plan_upload"),
    path("assessment/plans/<int:pk>/", views.plan_detail, name="plan"),
    path("assessment/plans/<int:pk>/survey/", views.survey_upload, name="survey_upload"),
    path("assessment/plans/<int:pk>/survey.csv", views.survey_download, name="survey_csv"),
    path("assessment/plans/<int:pk>/rates/", views.plan_rates, name="rates"),
    path(
        "assessment/plans/<int:pk>/results/<str:name>",
        views.result_download,
        name="result_file",
    ),
    path("assessment/plans/<int:pk>/visits/<int:visit_pk>/", views.visit_edit, name="visit"),
]
