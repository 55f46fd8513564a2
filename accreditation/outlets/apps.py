from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutletsConfig(AppConfig):
    name = "accreditation.outlets"
    label = "outlets"
    verbose_name = _("Outlets and crews")

    def ready(self) -> None:
        # Register the tasks in every process: web processes dispatch them by name, and
        # Celery's autodiscovery runs in workers only.
        from accreditation.outlets import tasks  # noqa: F401
