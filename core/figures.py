"""Dashboard figures kept as data: what a panel of the home page computed for a user is stored
(``core.models.Figure``) and read back by the user's next pages, so a dashboard over 100,000
cadres answers from a few small rows instead of grouping the city's assessments, care records
and incentive entries on every visit.

A kept figure is used until it is older than ``DASHBOARD_FIGURES_SECONDS`` (the page says when
its figures were counted and offers a refresh) or until an audited write (``audit.services``)
in one of the apps it depends on commits: such a write forgets it, so the next page counts
again. A write that is not audited is seen when the figure expires. ``DASHBOARD_FIGURES_SECONDS
= 0`` turns keeping off: every page counts afresh (the test settings do, except where a test
turns it on).

Figures are kept per user: two users of the same scope count apart, so nothing one may see
ever reaches another's page. The values are pickled (model instances included), as Django's
cache does; only this module writes them.
"""

from __future__ import annotations

import datetime
import logging
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q
from django.utils import timezone

from .models import Figure

logger = logging.getLogger(__name__)


def max_age() -> int:
    """Seconds a figure is kept; 0 or less: not kept."""
    return int(getattr(settings, "DASHBOARD_FIGURES_SECONDS", 0) or 0)


ANY = "*"  # a figure that any audited write forgets


@dataclass(frozen=True)
class Wanted:
    key: str
    compute: Callable[[], Any]
    depends: tuple[str, ...]  # app labels whose audited writes forget the figure


def _depends(apps: Iterable[str]) -> str:
    return "," + ",".join(sorted(set(apps))) + ","


def kept_many(user, wanted: list[Wanted], *, refresh: bool = False) -> dict[str, Any]:
    """``{key: value}`` for each wanted figure, kept ones read in one query and the others
    computed (and stored in one more). ``refresh`` (or ``user.figures_refresh``, which a page
    sets once for all its figures) counts every one afresh. When the oldest figure of the
    request so far was counted is left on the user as ``figures_counted_at`` for the page to
    show (not set when keeping is off)."""
    age = max_age()
    if age <= 0 or not getattr(user, "pk", None):
        return {w.key: w.compute() for w in wanted}
    refresh = refresh or getattr(user, "figures_refresh", False)
    # what the user may see is part of the key: a user moved to another unit or given another
    # role has their figures counted afresh at once, not when the old ones expire
    scope = f"{user.role}|{user.unit_id}|{int(user.is_superuser)}|"
    wanted = [Wanted(scope + w.key, w.compute, w.depends) for w in wanted]
    now = timezone.now()
    found: dict[str, tuple[Any, datetime.datetime]] = {}
    if not refresh and wanted:
        rows = Figure.objects.filter(
            owner=user.pk,
            key__in=[w.key for w in wanted],
            computed_at__gt=now - datetime.timedelta(seconds=age),
        ).values_list("key", "value", "computed_at")
        for key, blob, at in rows:
            try:
                found[key] = (pickle.loads(bytes(blob)), at)
            except Exception:  # a value from an older version of the code: count again
                logger.warning("dashboard figure %s of user %s could not be read", key, user.pk)
    values: dict[str, Any] = {}  # by the key asked for (the scope stripped off again)
    oldest = now
    fresh: list[Figure] = []
    for w in wanted:
        asked = w.key.removeprefix(scope)
        if w.key in found:
            values[asked], at = found[w.key]
            oldest = min(oldest, at)
            continue
        values[asked] = value = w.compute()
        try:
            blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # not storable: shown, counted again next time
            logger.warning("dashboard figure %s cannot be kept", w.key, exc_info=True)
            continue
        fresh.append(
            Figure(key=w.key, owner=user.pk, depends=_depends(w.depends), value=blob, computed_at=now)
        )
    if fresh:
        # the user's expired figures go as new ones come (a figure keyed by the day stays behind)
        Figure.objects.filter(owner=user.pk, computed_at__lte=now - datetime.timedelta(seconds=age)).delete()
        Figure.objects.bulk_create(
            fresh,
            update_conflicts=True,
            unique_fields=["owner", "key"],
            update_fields=["depends", "value", "computed_at"],
        )
    earlier = getattr(user, "figures_counted_at", None)
    user.figures_counted_at = min(oldest, earlier) if earlier else oldest
    return values


def kept(user, key: str, compute: Callable[[], Any], *, depends: Iterable[str], refresh: bool = False) -> Any:
    """One figure (``kept_many`` for a single key); the value only."""
    return kept_many(user, [Wanted(key, compute, tuple(depends))], refresh=refresh)[key]


# ------------------------------------------------------------------ forgetting on writes

_PENDING = "_dashboard_figures_forget"


def _flush() -> None:
    conn = connections[DEFAULT_DB_ALIAS]
    apps = conn.__dict__.pop(_PENDING, set())
    if apps:
        match = Q(depends__contains=f",{ANY},")
        for app in sorted(apps):
            match |= Q(depends__contains=f",{app},")
        Figure.objects.filter(match).delete()


_flush.figures = True  # how ``forget`` finds its callback among the transaction's


def forget(*apps: str) -> None:
    """Forget, once the current transaction commits (at once outside one), every kept figure
    that depends on any of ``apps``. Called by the audit trail for each write it records; many
    writes of one transaction cost one DELETE."""
    if max_age() <= 0 or not apps:
        return
    conn = connections[DEFAULT_DB_ALIAS]
    conn.__dict__.setdefault(_PENDING, set()).update(apps)
    if not conn.in_atomic_block:
        try:
            _flush()
        except Exception:  # the write stands; the figures expire in their time
            logger.exception("dashboard figures could not be forgotten")
        return
    if not any(getattr(entry[1], "figures", False) for entry in conn.run_on_commit):
        # robust: a failure is logged, never turned into an error after the write has committed
        transaction.on_commit(_flush, robust=True)


def forget_models(labels: Iterable[str]) -> None:
    """``forget`` the apps of model labels (``assessment.assessment`` → ``assessment``)."""
    forget(*{label.split(".", 1)[0] for label in labels if label})
