from django.urls import path

from fupin.governance import views

app_name = "governance"

urlpatterns = [
    path("", views.home, name="home"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/report/", views.task_report, name="task_report"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/export.xlsx", views.ledger_export, name="ledger_export"),
    path("ledger/<int:pk>/", views.problem_detail, name="problem"),
    path("ledger/<int:pk>/<str:what>/", views.problem_action, name="problem_action"),
    path("exits/", views.exit_list, name="exits"),
    path("exits/<int:pk>/", views.exit_detail, name="exit"),
    path("exits/<int:pk>/record/", views.exit_record, name="exit_record"),
    path("circular.<str:fmt>", views.circular, name="circular"),
]
