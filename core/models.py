import uuid

from django.conf import settings
from django.db import models


class JobState(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "执行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class Job(models.Model):
    """A unit of background work with progress the page and ``jobs/{id}/`` can read."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("任务类型", max_length=50)
    state = models.CharField("状态", max_length=10, choices=JobState.choices, default=JobState.PENDING)
    params = models.JSONField("参数", default=dict, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    error = models.TextField("错误信息", blank=True)
    done = models.PositiveIntegerField("已完成", default=0)
    total = models.PositiveIntegerField("总数", default=0)
    scope_path = models.CharField("所属范围", max_length=255, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    worker = models.CharField("执行进程", max_length=200, blank=True)
    # Fault tolerance (core/jobs.py): the lease a running job's worker renews, how often it
    # was claimed, when the broker took its message, and when the broker refused it.
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    queued_at = models.DateTimeField("送达队列时间", null=True, blank=True)
    dispatch_failed_at = models.DateTimeField("送达失败时间", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} {self.get_state_display()}"

    @property
    def delayed(self) -> bool:
        """Waiting because the broker could not take its message (delivered when it is back)."""
        return self.state == JobState.PENDING and self.dispatch_failed_at is not None


class Figure(models.Model):
    """A dashboard figure kept as data (core/figures.py): what one user's panel showed, computed
    once and read by their next pages until it is older than the setting allows or an audited
    write in an app it depends on forgets it."""

    key = models.CharField("统计项", max_length=100)
    owner = models.IntegerField("用户 id")
    depends = models.CharField(
        "依赖的模块", max_length=255
    )  # ",assessment,cadres," (a write there forgets it)
    value = models.BinaryField("内容")
    computed_at = models.DateTimeField("统计时间")

    class Meta:
        verbose_name = "统计缓存"
        verbose_name_plural = "统计缓存"
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="figure_owner_key")]

    def __str__(self):
        return f"{self.key}（用户 {self.owner}）"
