from django.apps import AppConfig


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = "激励关爱"

    def ready(self):
        from .registry_hooks import register

        register()  # policy kinds, jobs, profile sections, timeline, 待办 and demo data
