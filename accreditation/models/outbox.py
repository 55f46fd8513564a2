"""The transactional outbox: background work recorded with the change that needs it."""

from __future__ import annotations

from django.db import models


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
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.task_name} #{self.pk}"
