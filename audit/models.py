from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    VIEW = "view", "查看完整身份证号"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit trail is append-only.")

    def delete(self):
        raise PermissionError("The audit trail is append-only.")


class AuditEntry(models.Model):
    """One write: who, when, which object, the values before and after.

    Written by the services (one row per object, also for bulk writes, in one bulk insert),
    never by signals, so imports and recomputations that bypass ``save()`` are recorded too.
    Rows are append-only: the model refuses updates and deletes, and a database trigger
    (migration 0002) refuses them below the ORM as well.
    """

    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        # PROTECT is Django's check (a user with entries cannot be deleted); no foreign key in
        # the database: its check of every new entry ran at COMMIT, 8 µs each, 0.8 s for an
        # import of 100,000 rows, and actor_label keeps who it was whatever becomes of the user.
        db_constraint=False,
        db_index=False,  # the pages filter by actor_label; only deleting a user looks by id
    )
    actor_label = models.CharField("操作人", max_length=150, help_text="操作人当时的用户名和姓名。")
    action = models.CharField("操作", max_length=10, choices=AuditAction.choices)
    model = models.CharField("对象类型", max_length=100, help_text="app_label.model")
    object_id = models.CharField("对象编号", max_length=64)
    object_repr = models.CharField("对象", max_length=200)
    changes = models.JSONField("变更内容", default=dict, help_text="{字段: [修改前, 修改后]}")
    cadre_id = models.BigIntegerField("相关干部", null=True, blank=True, db_index=True)
    scope_path = models.CharField("所属范围", max_length=255, blank=True)
    batch = models.CharField("批次", max_length=64, blank=True)
    reason = models.CharField("原因", max_length=500, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "纪实记录"
        verbose_name_plural = "纪实记录"
        # Newest first by id: entries are numbered as they are written, so this is the order
        # of ``at`` without an index of its own.
        ordering = ["-id"]
        # Each index costs every bulk write (an import adds 100,000 entries), so only those the
        # reads use: scope is matched by prefix (startswith, hence the pattern opclass, which
        # also serves equality), batch only by equality; none on ``at`` (the id orders) or on
        # the actor (the pages search actor_label).
        indexes = [
            models.Index(fields=["model", "object_id"], name="audit_object"),
            models.Index(fields=["scope_path"], name="audit_scope", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["batch"], name="audit_batch"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit trail is append-only.")
