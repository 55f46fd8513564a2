"""gunicorn's settings (``gunicorn -c config/gunicorn.py config.wsgi``): the access log goes
through the same redaction as every other log line (config/logs.py), so a status link's token
or a gate photo ticket in a request line is never written."""

from gunicorn.glogging import Logger

from config.logs import redact

accesslog = "-"
# The client as the proxy saw it is in X-Forwarded-For (gunicorn's %(h)s is the proxy).
access_log_format = (
    '%(h)s %({x-forwarded-for}i)s %(t)s "%(r)s" %(s)s %(b)s %(L)ss "%(f)s" "%(a)s" '
    "%({x-request-id}o)s"
)


class RedactingLogger(Logger):
    """The access log's request line, path, query, referrer and user agent, redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f", "a"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms


logger_class = RedactingLogger


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR (config/metrics.py), a worker's counters are kept after it
    exits, its live gauges dropped."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
