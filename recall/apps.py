from django.apps import AppConfig


class RecallConfig(AppConfig):
    name = "recall"
    verbose_name = "干部召回与不适宜担任现职"

    def ready(self):
        from .registry_hooks import register

        register()  # profile sections, timeline, 待办 and demo data (core/registry.py)
