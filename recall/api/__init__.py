"""The recall endpoints of the public API (see ../shared/API.md): ``recall-cases/``, ``flags/``,
``adjustments/``, ``recall-situations/`` and ``recall-points/``. Thin: reads through
recall.selectors (scoped to the caller: an object outside the subtree is a 404 like a missing one),
every write through one service. A PATCH names its step (``action``) and carries that step's
fields; a step out of order is a 409 ``step_out_of_order`` with the service's Chinese message, bad
input a 400 with ``fields``, a role that may not take the step a 403 saying who may."""

from .cases import RecallCaseViewSet
from .catalogue import PointRecordViewSet, SituationViewSet
from .flags import AdjustmentViewSet, FlagViewSet

__all__ = ["AdjustmentViewSet", "FlagViewSet", "PointRecordViewSet", "RecallCaseViewSet", "SituationViewSet"]
