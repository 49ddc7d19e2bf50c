from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "谈话监督"

    def ready(self):
        from .registry_hooks import register

        register()  # the profile's sections and timeline, the home page's 待办 (core/registry.py)
