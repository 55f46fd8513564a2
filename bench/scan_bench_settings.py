"""Settings for bench/bench_scan.py only: the project's, with a URLconf that adds a trivial
JSON view (the baseline the scan endpoint is compared with) and the gate's URLs."""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.scan_bench_urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

# bench_scan.py --conn-health-checks on/off: override the project's setting for a comparison.
if os.environ.get("BENCH_CONN_HEALTH_CHECKS") in ("on", "off"):
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = os.environ["BENCH_CONN_HEALTH_CHECKS"] == "on"  # noqa: F405
