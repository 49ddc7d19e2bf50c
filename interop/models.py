from django.conf import settings
from django.db import models


class BatchStatus(models.TextChoices):
    VALIDATED = "validated", "待确认导入"
    INVALID = "invalid", "有错误"
    COMMITTED = "committed", "已导入"


class LrmxBatch(models.Model):
    """One upload of 任免审批表 files (LRMX/LRM, one, many or zipped): the stored upload, what
    its preview found, and whether it was committed. The commit reads the stored upload again
    and checks it against the registry as it is then."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "cadres.Unit", verbose_name="新登记干部所在单位", on_delete=models.PROTECT, related_name="+"
    )
    # who may see the batch: the uploader's scope (a county's batch is not shown to another)
    scope_path = models.CharField(max_length=255, blank=True, default="", editable=False)
    defaults = models.JSONField("新登记干部的默认项", default=dict, blank=True)
    original_name = models.CharField("文件名", max_length=255)
    file = models.FileField("上传的文件", upload_to="interop/%Y/%m/")
    packed = models.BooleanField(default=False, editable=False)  # several uploaded files zipped by us
    status = models.CharField(
        "状态", max_length=20, choices=BatchStatus.choices, default=BatchStatus.VALIDATED
    )
    files_total = models.PositiveIntegerField("文件数", default=0)
    files_new = models.PositiveIntegerField("新登记", default=0)
    files_changed = models.PositiveIntegerField("有变化", default=0)
    files_unchanged = models.PositiveIntegerField("无变化", default=0)
    errors = models.JSONField("错误", default=list, blank=True)  # [{file, element, message}]
    notes = models.JSONField("说明", default=list, blank=True)  # about the upload as a whole
    preview = models.JSONField("预览", default=list, blank=True)  # one entry per file
    message = models.CharField("结果", max_length=500, blank=True, default="")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    committed_at = models.DateTimeField("导入时间", null=True, blank=True)

    class Meta:
        verbose_name = "任免审批表导入批次"
        verbose_name_plural = "任免审批表导入批次"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["scope_path", "-created_at"], name="lrmx_batch_scope")]

    def __str__(self):
        return self.original_name
