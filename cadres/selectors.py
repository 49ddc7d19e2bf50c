"""Every read that is more than a ``.get``. Each takes the caller, so scope cannot be forgotten."""

import datetime

from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Concat, Length, Substr
from django.http import Http404
from django.utils import timezone

from core import prepared
from core.rowload import RowLoader

from . import idnumber
from .models import Cadre, TeamMembership, Unit

# How many cadres a name lookup offers to choose from before asking for a narrower search.
LOOKUP_LIMIT = 20


def unit_label(prefix: str = ""):
    """SQL for a unit's label in lists and pickers: its name, and where another unit has the
    same name, its parent's name in full-width brackets (光明村（城关镇）). An expression, so
    a page adds no query: annotate the rows it reads (``prefix`` leads from the row to the unit)."""
    path = OuterRef(f"{prefix}path")
    namesake = Unit.objects.filter(name=OuterRef(f"{prefix}name")).exclude(pk=OuterRef(f"{prefix}pk"))
    parent = Unit.objects.filter(path=Substr(path, 1, Length(path) - Unit.steplen)).values("name")[:1]
    return Case(
        When(
            Exists(namesake),
            then=Concat(F(f"{prefix}name"), Value("（"), Subquery(parent), Value("）")),
        ),
        default=F(f"{prefix}name"),
    )


def scope_q(user, prefix: str = "unit__") -> Q:
    """Q restricting rows to the user's subtree; ``prefix`` leads from the row to its unit."""
    path = getattr(user, "scope_path", None) if getattr(user, "is_authenticated", False) else None
    if path is None:
        return Q(pk__in=[])
    if path == "":
        return Q()
    return Q(**{f"{prefix}path__startswith": path})


def units_visible_to(user) -> QuerySet[Unit]:
    return Unit.objects.filter(scope_q(user, prefix=""))


_units = RowLoader(Unit)
# the ids a database key can hold: a larger number finds nothing (SQLite cannot even bind it)
KEY_RANGE = range(-(2**63), 2**63)


def unit_visible(user, pk: int) -> Unit | None:
    """``units_visible_to(user).filter(pk=pk).first()`` as plain SQL (``core.rowload``): the
    grade-report API looks the unit up on every page, and compiling the ORM query cost six
    times running it."""
    path = getattr(user, "scope_path", None) if getattr(user, "is_authenticated", False) else None
    if path is None or pk not in KEY_RANGE:
        return None
    sql = (
        f"SELECT {_units.select('u')} FROM {connection.ops.quote_name(Unit._meta.db_table)} u WHERE u.id = %s"
    )
    params: list = [pk]
    if path:
        sql += " AND u.path LIKE %s ESCAPE '\\'"
        params.append(connection.ops.prep_for_like_query(path) + "%")
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        row = cursor.fetchone()
    return None if row is None else _units.load(row)


def unit_get(user, pk) -> Unit:
    try:
        # ``label`` tells a namesake apart in the page's title (光明村（城关镇）), in the same query
        return units_visible_to(user).annotate(label=unit_label()).get(pk=pk)
    except (Unit.DoesNotExist, ValueError, TypeError):
        raise Http404("单位不存在或不在您的管辖范围内。") from None


def unit_in_scope(user, unit: Unit) -> bool:
    path = getattr(user, "scope_path", None)
    return path is not None and unit.path.startswith(path)


def cadres_visible_to(user) -> QuerySet[Cadre]:
    return Cadre.objects.filter(scope_q(user))


def scope_unit_paths(user) -> dict[int, str]:
    """Every unit of the user's subtree, id → path, read once per request (kept on the user
    object). Aggregates over large tables filter by these ids (``unit_id IN (…)``, served by an
    index on the unit) instead of joining each row to its unit to test the path."""
    cached = getattr(user, "_scope_unit_paths", None)
    if cached is None:
        cached = dict(units_visible_to(user).values_list("id", "path"))
        user._scope_unit_paths = cached
    return cached


def cadre_counts(user) -> list[tuple[int, str, str, int]]:
    """How many cadres the user's subtree holds per (unit id, kind, status): one grouped scan,
    read once per request (kept on the user object, which Django loads afresh for each request)
    and shared by whatever counts cadres on the same page (the home page's registry figures, its
    scoring progress, its 关爱提醒): three scans of 100,000 cadres become one, read from the
    index on (unit, kind, status) rather than the table."""
    cached = getattr(user, "_cadre_counts", None)
    if cached is None:
        cached = list(
            Cadre.objects.filter(unit_id__in=list(scope_unit_paths(user)))
            .order_by()
            .values_list("unit_id", "kind", "status")
            .annotate(n=Count("*"))  # COUNT(*): answered from the index on (unit, kind, status)
        )
        user._cadre_counts = cached
    return cached


def cadre_get(user, pk) -> Cadre:
    try:
        return (
            cadres_visible_to(user)
            .select_related("unit")
            .annotate(unit_label=unit_label("unit__"))
            .get(pk=pk)
        )
    except (Cadre.DoesNotExist, ValueError, TypeError):
        raise Http404("干部不存在或不在您的管辖范围内。") from None


def cadre_team_roles(user, cadre: Cadre) -> QuerySet[TeamMembership]:
    """The leadership teams the cadre sits on, among units in the user's scope: a township
    cadre may also sit on the county's team, which a township user is not shown."""
    return (
        cadre.team_roles.filter(scope_q(user))
        .select_related("unit")
        .annotate(unit_label=unit_label("unit__"))
    )


def _years_ago(years: int, today: datetime.date) -> datetime.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def cadre_list(
    user,
    *,
    unit: Unit | None = None,
    kind: str | None = None,
    status: str | None = None,
    name: str | None = None,
    age_min: int | None = None,
    age_max: int | None = None,
    id_number: str | None = None,
) -> QuerySet[Cadre]:
    """The registry list: scoped, filtered, in a stable order; ``unit_label`` tells namesake
    units apart."""
    qs = cadres_visible_to(user).select_related("unit").annotate(unit_label=unit_label("unit__"))
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if name:
        qs = qs.filter(name__contains=name.strip())
    if id_number:
        qs = qs.filter(id_number_hash=idnumber.digest(id_number))
    today = timezone.localdate()
    if age_min is not None:
        # aged at least N: born on or before today N years ago
        qs = qs.filter(birth_date__lte=_years_ago(age_min, today))
    if age_max is not None:
        # aged at most N: born after today N+1 years ago
        qs = qs.filter(birth_date__gt=_years_ago(age_max + 1, today))
    return qs.order_by("unit__path", "name", "id")


def cadre_lookup(user, text: str, *, unit: Unit | None = None) -> list[Cadre]:
    """Cadres in scope matching an ID number (exact, as people type it: full-width digits,
    spaces, lower-case x) or a name (exact first, else containing), for pickers that must work
    with thousands of cadres. Returns at most ``LOOKUP_LIMIT + 1`` so "too many" can be told."""
    text = (text or "").strip()
    if not text:
        return []
    qs = cadres_visible_to(user).select_related("unit").annotate(unit_label=unit_label("unit__"))
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    normalized = idnumber.normalize(text)
    if len(normalized) == 18 and normalized[:17].isdigit():
        if not user.can("view_id_number"):  # a lookup by number would confirm a guess
            return []
        return list(qs.filter(id_number_hash=idnumber.digest(normalized))[:1])
    exact = list(qs.filter(name=text).order_by("unit__path", "id")[: LOOKUP_LIMIT + 1])
    if exact:
        return exact
    return list(qs.filter(name__contains=text).order_by("name", "unit__path", "id")[: LOOKUP_LIMIT + 1])
