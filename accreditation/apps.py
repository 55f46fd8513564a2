from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccreditationConfig(AppConfig):
    name = "accreditation"
    verbose_name = _("Accreditation")

    def ready(self) -> None:
        # Register the tasks in every process (web processes dispatch them by name).
        from accreditation import tasks  # noqa: F401
