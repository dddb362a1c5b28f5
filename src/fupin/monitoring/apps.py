from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "fupin.monitoring"
    label = "monitoring"
    verbose_name = "返贫监测与社会扶贫网"
    default_auto_field = "django.db.models.BigAutoField"
