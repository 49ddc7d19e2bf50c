"""What recall/ plugs into the shared registries: its policy kinds (assessment.services.policy),
and (core.registry) profile sections, timeline entries, 待办 items and demo data."""


def register() -> None:
    # tasks registers the flag job's kind with core.jobs; receivers start it when grades are
    # published or corrected and when interviews change
    from . import receivers, tasks  # noqa: F401
    from .policy import register as register_policy

    register_policy()
    from .registry_pages import register as register_pages

    register_pages()  # profile section, timeline, 待办 and demo data of the recall pages
    from .dashboard import register as register_dashboard

    register_dashboard()  # the home page's panel: cases by stage, flags waiting
