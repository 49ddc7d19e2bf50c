from django.apps import AppConfig


class CadresConfig(AppConfig):
    name = "cadres"
    verbose_name = "干部名册与组织机构"

    def ready(self):
        from .registry_hooks import register

        register()  # the profile's 请假记录 section (core/registry.py)
