"""The cards of the 激励关爱 hub at /incentives/. Each area appends its own cards to ``HUB_LINKS``
(from its views module, so a card exists exactly when its pages do); the hub shows them in
``order``, leaving out a card whose capability the user lacks."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any


@dataclasses.dataclass(frozen=True)
class HubLink:
    key: str
    title: str
    url_name: str  # a URL name without arguments, e.g. "incentives:lists"
    icon: str  # a Bootstrap icon class, e.g. "bi-list-check"
    about: str  # one sentence under the title
    order: int = 100
    perm: str | None = None  # a capability the user needs to see the card
    anchor: str = ""  # appended to the URL (e.g. "#incentive-rules")
    # (user) -> a short figure for the card's foot ("待决定 12 条"), or None; at most one query
    badge: Callable[[Any], str | None] | None = None


HUB_LINKS: list[HubLink] = []


def hub_add(link: HubLink) -> None:
    """Add a card, replacing one with the same key (a module imported twice adds nothing)."""
    HUB_LINKS[:] = [existing for existing in HUB_LINKS if existing.key != link.key]
    HUB_LINKS.append(link)


def hub_cards(user) -> list[HubLink]:
    return sorted(
        (link for link in HUB_LINKS if not link.perm or user.can(link.perm)),
        key=lambda link: (link.order, link.key),
    )
