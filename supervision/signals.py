from django.dispatch import Signal

# Sent after commit whenever an interview is recorded or changed, with ``interview_ids`` and
# ``unit_paths``. The grading engine listens to recompute the open period, so the caps follow.
interviews_changed = Signal()

# Sent after commit when a sanction (处分) is recorded or changed, with ``cadre_ids`` and
# ``unit_paths``: its influence period bears on grades.
sanctions_changed = Signal()

# Sent after commit when a 容错纠错 decision (``Exemption``) is made, revised or revoked, with
# ``matter_type``, ``matter_ids``, ``cadre_ids``, ``unit_paths``, ``years`` (the matters' years)
# and ``actor``: grading recomputes the open annual periods those matters bear on, the flag job
# re-evaluates the cadres, the incentive lists follow. Supervision imports none of them.
exemptions_changed = Signal()

# Sent after commit when an investigation (立案审查) is opened, corrected or closed, with
# ``cadre_ids``, ``unit_paths`` and ``actor``: an open one keeps the annual grade 不定等次.
investigations_changed = Signal()
