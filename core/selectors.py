from django.db.models import Q, QuerySet

from .models import Job


def jobs_visible_to(user) -> QuerySet[Job]:
    """Jobs the user started, and jobs about units in the user's subtree."""
    path = getattr(user, "scope_path", None)
    if path is None:
        return Job.objects.filter(created_by=user)
    if path == "":
        return Job.objects.all()
    return Job.objects.filter(Q(created_by=user) | (Q(scope_path__startswith=path) & ~Q(scope_path="")))
