from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunicationsConfig(AppConfig):
    name = "accreditation.communications"
    label = "communications"
    verbose_name = _("Announcements")

    def ready(self) -> None:
        # Register the tasks in every process: web processes dispatch them by name.
        from accreditation.communications import tasks  # noqa: F401
