from django.urls import path

from fupin.funds import views

app_name = "funds"

urlpatterns = [
    path("funds/", views.home, name="home"),
    path("funds/<str:code>/", views.county, name="county"),
    path("funds/<str:code>/ledger.xlsx", views.ledger, name="ledger"),
    path("funds/<str:code>/performance.xlsx", views.performance, name="performance"),
    path("funds/notices/<str:code>/<int:year>.pdf", views.notice_pdf, name="notice_pdf"),
    path("public/notices/<str:village_code>/", views.public_village, name="public_village"),
    path(
        "public/notices/<str:village_code>/<int:year>.pdf",
        views.public_village_pdf,
        name="public_village_pdf",
    ),
]
