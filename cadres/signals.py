from django.dispatch import Signal

# Sent after commit when a registry fact that can keep a cadre ungraded changes (a leave record
# is added, changed or removed; a probation end date changes), with ``cadre_ids``,
# ``unit_paths``, ``actor`` and ``reason``. The grading engine listens and recomputes the open
# annual periods over those units; the registry imports none of the apps above it.
grading_facts_changed = Signal()
