from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fupin.web"
    label = "web"
    verbose_name = "网站"
    default_auto_field = "django.db.models.BigAutoField"
