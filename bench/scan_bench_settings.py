"""Settings for bench/bench_scan.py only: the project's, with a URLconf that adds a trivial
JSON view (the baseline the scan endpoint is compared with) and the gate's URLs."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.scan_bench_urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
