from django.apps import AppConfig


class ComparisonConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fupin.comparison"
    label = "comparison"
    verbose_name = "部门数据比对"
