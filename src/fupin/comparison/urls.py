from django.urls import path

from fupin.comparison import views

app_name = "comparison"

urlpatterns = [
    path("comparison/", views.finding_list, name="findings"),
    path("comparison/export.xlsx", views.finding_export, name="export"),
    path("comparison/<int:pk>/rectify/", views.finding_rectify, name="rectify"),
]
