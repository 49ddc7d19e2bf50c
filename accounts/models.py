from django.contrib.auth.models import AbstractUser
from django.db import models

from .roles import Role, has_capability


class User(AbstractUser):
    """A person who logs in. Belongs to one org unit and sees only that unit's subtree."""

    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.STAFF)
    unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name="所属单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text="用户只能查看和维护本单位及下级单位的数据。",
    )
    display_name = models.CharField("姓名", max_length=50, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return self.display_name or self.username

    def can(self, capability: str) -> bool:
        return has_capability(self, capability)

    @property
    def scope_path(self) -> str | None:
        """Materialized path of the user's subtree root; '' means everything, None means nothing."""
        if self.is_superuser and self.unit_id is None:
            return ""
        if self.unit_id is None:
            return None
        return self.unit.path
