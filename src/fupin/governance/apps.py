from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "fupin.governance"
    label = "governance"
    verbose_name = "任务与整改台账"
