"""赛马 tracks as data: what the rest of assessment/ (and recall/, incentives/) reads of the
``RaceTrack`` table.

A ``TrackTable`` reads the table once, the first time a name or a check is needed, so a request
or a job that handles many rows pays one query for their tracks, and a path that never touches a
track (a save of scores alone) pays none. A stored code whose track was since deactivated keeps
its name; only new assignments must name an active track.
"""

from __future__ import annotations

from rest_framework import serializers

from .models import RaceTrack


class TrackTable:
    """The tracks of the ``RaceTrack`` table, in their order, read on first use."""

    def __init__(self, rows: list[tuple[str, str, bool]] | None = None):
        self._rows = rows
        self._names: dict[str, str] | None = None

    @property
    def rows(self) -> list[tuple[str, str, bool]]:
        """(code, name, active) of every track, active or not, in the tracks' order."""
        if self._rows is None:
            self._rows = list(RaceTrack.objects.order_by("order", "id").values_list("code", "name", "active"))
        return self._rows

    @property
    def names(self) -> dict[str, str]:
        """{code: name} of every track."""
        if self._names is None:
            self._names = {code: name for code, name, _ in self.rows}
        return self._names

    def name(self, code: str) -> str:
        """The name of a stored code (the code itself when no track has it any more)."""
        return self.names.get(code, code) if code else ""

    def quoted(self, code: str) -> str:
        return f"“{self.name(code)}”"

    def known(self, code: str) -> bool:
        return code in self.names

    def active(self, code: str) -> bool:
        return any(c == code and on for c, _, on in self.rows)

    def code_for(self, value: str) -> str | None:
        """A track given by its code or its name → the code; None if it is neither."""
        value = (value or "").strip()
        if value in self.names:
            return value
        for code, name, _ in self.rows:
            if name == value:
                return code
        return None

    def choices(self, *, keep=()) -> list[tuple[str, str]]:
        """(code, name) of the active tracks, and of inactive ones among ``keep`` (a form that
        shows what is stored keeps offering it)."""
        keep = set(keep)
        return [(code, name) for code, name, on in self.rows if on or code in keep]

    def problem(self, code: str, *, old: str = "") -> str | None:
        """Why ``code`` cannot be assigned (unknown or inactive), or None. Keeping the stored
        code ``old`` is always allowed, even when its track has been deactivated since."""
        if not code or code == old:
            return None
        if not self.known(code):
            return f"未知的赛道“{code}”。"
        if not self.active(code):
            return f"赛道“{self.name(code)}”已停用，不能再分配。"
        return None


class TrackField(serializers.CharField):
    """A track shown by its name (``乡村振兴``) that accepts the name or the code (``rural``),
    as the fixed choices once did; the names come from the ``RaceTrack`` table, read once per
    serializer (a list of 100 rows costs one query). Whether the track may be assigned (active)
    is the service's to say."""

    default_error_messages = {
        "invalid_choice": serializers.ChoiceField.default_error_messages["invalid_choice"]
    }

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "赛道名称（如 乡村振兴），也接受赛道代码（如 rural）；赛道是可维护的数据，见 race-tracks/",
        )
        super().__init__(**kwargs)

    def _table(self) -> TrackTable:
        root = self.root
        table = getattr(root, "_track_table", None)
        if table is None:
            table = root._track_table = TrackTable()
        return table

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        value = data.strip()
        if value == "":
            if not self.allow_blank:
                self.fail("blank")
            return ""
        code = self._table().code_for(value)
        if code is None:
            self.fail("invalid_choice", input=data)
        return code

    def to_representation(self, value):
        if value in ("", None):
            return value
        return self._table().name(value)
