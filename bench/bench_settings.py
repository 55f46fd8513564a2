"""Settings for bench/bench_submit.py only: the project's settings with the bench URLconf."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.submit_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
PRESSPASS_MIN_FILL_SECONDS = 0  # the bench posts the form at once
# ... and posts it directly: the rush measured is the submission itself, after each person
# proved their address minutes earlier (one small POST and one e-mail each, not measured here).
PRESSPASS_CONFIRM_ADDRESS_FIRST = False
