"""The transactional outbox: background work recorded with the change that needs it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxTask(models.Model):
    """Work a transaction must trigger, recorded in the same transaction and dispatched after commit.

    If the broker is down at commit time the row stays pending and a periodic job (or start-up)
    dispatches it later, so nothing a request triggers is lost.
    """

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # publications to the broker
    last_error = models.TextField(blank=True)
    runs = models.PositiveIntegerField(default=0)  # times a worker started the work
    started_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True, db_index=True)  # given up: staff retry

    class Meta:
        ordering = ["pk"]
        verbose_name = _("background task")
        verbose_name_plural = _("background tasks")
        permissions = [("retry_outboxtask", _("Can retry failed background work"))]

    def __str__(self) -> str:
        return f"{self.task_name} #{self.pk}"

    @property
    def state(self) -> str:
        if self.completed_at:
            return "done"
        if self.failed_at:
            return "failed"
        if self.started_at:
            return "running"
        return "queued" if self.dispatched_at else "waiting"
