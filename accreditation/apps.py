from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccreditationConfig(AppConfig):
    name = "accreditation"
    verbose_name = _("Accreditation")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        # Register the tasks in every process (web processes dispatch them by name), and the
        # checks `manage.py check --deploy` runs.
        from accreditation import tasks  # noqa: F401
        from accreditation.staff import events
        from accreditation.staff.sessions import start_idle_clock
        from config import deploy_checks  # noqa: F401

        # A staff session's idle clock starts at sign-in (written with the login's own save).
        user_logged_in.connect(start_idle_clock, dispatch_uid="presspass.idle_clock")
        # Failed sign-ins and lock-outs in the security log (config/logs.py).
        user_login_failed.connect(events.login_failed, dispatch_uid="presspass.signin_failed")
        user_locked_out.connect(events.locked_out, dispatch_uid="presspass.locked_out")
        _pillow_refuses_bombs()


def _pillow_refuses_bombs() -> None:
    """Pillow, in every process: a picture larger than the largest we accept is refused when
    it is opened, by whichever code opens it (its default only warns below 179 MP)."""
    import warnings

    from PIL import Image

    from accreditation.filetypes import MAX_PIXELS

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
