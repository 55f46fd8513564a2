from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "accreditation.privacy"
    label = "privacy"
    verbose_name = _("Data protection")

    def ready(self) -> None:
        # Register the tasks in every process: web processes dispatch them by name, and
        # Celery's autodiscovery runs in workers only.
        from accreditation.privacy import tasks  # noqa: F401
