"""Interview requests: journalists ask for an interview with a delegation or an official, the
press office triages, the target's contact proposes slots through a private link (issue 19)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterviewsConfig(AppConfig):
    name = "accreditation.interviews"
    label = "interviews"
    verbose_name = _("Interviews")

    def ready(self) -> None:
        # Register the task in every process: web processes dispatch it by name, and Celery's
        # autodiscovery runs in workers only.
        from accreditation.interviews import tasks  # noqa: F401
