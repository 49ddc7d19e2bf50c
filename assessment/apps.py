from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = "考核评价"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the recomputation triggers)
        from .registry_hooks import register

        register()  # the profile's grades and timeline entries (core/registry.py)
