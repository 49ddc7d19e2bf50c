from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "公共"

    def ready(self):
        from django.core import checks

        from . import lookups  # noqa: F401  (registers the any_of lookup)
        from .crypto import check_keys

        checks.register(check_keys)
