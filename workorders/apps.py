from django.apps import AppConfig


class WorkordersConfig(AppConfig):
    name = "workorders"
    verbose_name = "民情工单"

    def ready(self):
        from .registry_hooks import register

        register()  # 待办, the reminder scan, the profile section, timeline and demo data
