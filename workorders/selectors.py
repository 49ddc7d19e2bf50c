"""Reads of work orders, always through the caller's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import PartyGroup, WorkOrder


def visible_orders(user) -> QuerySet[WorkOrder]:
    """Orders of the units in the user's scope (none for a user without a unit)."""
    path = user.scope_path
    if path is None:
        return WorkOrder.objects.none()
    qs = WorkOrder.objects.all()
    return qs.filter(unit__path__startswith=path) if path else qs


def visible_groups(user) -> QuerySet[PartyGroup]:
    path = user.scope_path
    if path is None:
        return PartyGroup.objects.none()
    qs = PartyGroup.objects.all()
    return qs.filter(unit__path__startswith=path) if path else qs
