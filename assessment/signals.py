from django.dispatch import Signal

# Sent after commit when a period's grades were recomputed or the period was published, with
# ``period_id``, ``unit_path`` ("" for the whole period), ``status`` (the period's status when
# sent) and ``annual``. Listeners that read published results (the recall flag rules) follow it.
grades_recomputed = Signal()
