from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "fupin.funds"
    label = "funds"
    verbose_name = "扶贫资金与项目"
    default_auto_field = "django.db.models.BigAutoField"
