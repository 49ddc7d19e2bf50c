"""What recall/ plugs into the shared registries: its policy kinds (assessment.services.policy),
and (core.registry) profile sections, timeline entries, 待办 items and demo data."""


def register() -> None:
    from . import tasks  # noqa: F401  (registers the flag job's kind with core.jobs)
    from .policy import register as register_policy

    register_policy()
