"""Real processes for end-to-end tests: a private redis-server, gunicorn and a Celery worker,
sharing the test database and a private-storage folder with the test process; Debian's nginx
in front, with the shipped configuration."""

from __future__ import annotations

import grp
import http.cookiejar
import json
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def database_url() -> str:
    """The test database, for processes started by the tests."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - keep polling until the deadline
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class Redis:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        wait_for(lambda: redis.Redis(port=self.port).ping(), timeout=10, what="redis-server")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Stack:
    """gunicorn + a Celery worker against `database_url`, broker on a private Redis (without
    one: no broker, tasks run in the web process, rate limits in its memory)."""

    def __init__(self, *, workdir: Path, database_url: str, redis: Redis | None):
        self.workdir = workdir
        self.redis = redis
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        from accreditation.privacy import crypto

        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "PRESSPASS_VAR_DIR": str(workdir / "var"),
            "PRIVATE_STORAGE_ROOT": str(workdir / "private"),
            "SITE_URL": self.base,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "PRESSPASS_MIN_FILL_SECONDS": "0",  # the tests post forms at once
            # ... and most post the form directly: test_end_to_end proves the address first.
            "PRESSPASS_CONFIRM_ADDRESS_FIRST": "0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            # The stack's processes open what the test process sealed (files, document
            # numbers): the same keys, not keys derived from their own SECRET_KEY.
            "PRESSPASS_DATA_KEYS": crypto.ring_setting(),
        }
        for name in ("TEST_REDIS_URL", "CELERY_BROKER_URL", "REDIS_URL"):
            self.env.pop(name, None)
        if redis:
            self.env.update(CELERY_BROKER_URL=redis.url, REDIS_URL=redis.url)
        self.processes: dict[str, subprocess.Popen] = {}

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def mail_to(self, address: str, containing: str, *, timeout: float = 60) -> str:
        """The body of the e-mail to ``address`` holding ``containing``, once the worker sent it
        (the file-based backend writes one file per message into var/mail)."""
        folder = self.workdir / "var" / "mail"

        def find():
            for path in sorted(folder.glob("*.log")) if folder.exists() else []:
                text = path.read_text("utf-8", "replace")
                if f"To: {address}" in text and containing in text:
                    return text
            return None

        return wait_for(find, timeout=timeout, what=f"an e-mail to {address}")

    def start(self) -> None:
        self.start_web()
        self.start_worker()
        wait_for(
            lambda: self.get_json("/health/")["workers"],
            timeout=60,
            what="web and worker",
            interval=0.5,
        )

    def start_web(self, *args: str) -> None:
        """gunicorn, with extra command-line `args`; it answers once a worker has booted."""
        self._spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                "-c",
                "config/gunicorn.py",  # as deployed: the access log without secrets
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--timeout",
                "60",
                *args,
            ],
        )

    def start_worker(self) -> None:
        self._spawn(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"e2e-{uuid.uuid4().hex[:6]}@%h",
            ],
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")[-4000:]

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def get_json(self, path: str):
        """The JSON body, whatever the status (the health page answers 503 with one)."""
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            return json.loads(error.read())


class Browser:
    """A cookie-keeping HTTP client that speaks Django forms (CSRF) and multipart."""

    def __init__(self, base: str, *, tls: ssl.SSLContext | None = None):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar),
            _NoRedirect(),
            urllib.request.HTTPSHandler(context=tls),
        )

    def request(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        headers: dict | None = None,
        *,
        raw: bool = False,
    ):
        req = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers or {}
        )
        try:
            response = self.opener.open(req, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        body = response.read()
        return (
            response.status,
            dict(response.headers),
            body if raw else body.decode("utf-8", "replace"),
        )

    def csrf(self) -> str:
        names = ("csrftoken", "__Host-presspass-csrf")  # the second over HTTPS (PRESSPASS_HTTPS)
        return next(c.value for c in self.jar if c.name in names)

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, fields: dict, files: dict | None = None, headers: dict | None = None):
        fields = {**fields, "csrfmiddlewaretoken": self.csrf()}
        body, content_type = multipart(fields, files or {})
        headers = {"Content-Type": content_type, "Referer": self.base + path, **(headers or {})}
        return self.request("POST", path, body, headers)

    def login(self, username: str, password: str) -> None:
        self.get("/admin/login/")
        status, headers, _ = self.post(
            "/admin/login/", {"username": username, "password": password, "next": "/admin/"}
        )
        assert status == 302, f"login failed for {username}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{item}\r\n'.encode()
            )
    for name, (filename, content, mime) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {mime}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def query(url: str, **params) -> str:
    return url + "?" + urllib.parse.urlencode(params)


def reference_from(html: str) -> str:
    return re.search(r'id="reference"[^>]*>([^<]+)<', html).group(1)


NGINX_SITE = ROOT / "config" / "nginx" / "presspass.conf"


def nginx_binary() -> str | None:
    """Debian's nginx (in /usr/sbin, which an unprivileged PATH may lack)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


# The rest of an nginx.conf around the shipped site, for an nginx in `prefix`. Its workers run
# as the user that owns the private files (docs/deploy.md; ignored by an unprivileged nginx).
_NGINX_MAIN = """user {user} {group};
worker_processes 1;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {prefix}/presspass.conf;
}}
"""


def render_site(template: str, **values: str) -> str:
    """The site template with its ${NAME} placeholders filled, as envsubst would: nginx's own
    $variables are left alone, and a placeholder without a value is an error."""
    return re.sub(r"\$\{([A-Z_]+)\}", lambda m: values[m.group(1)], template)


def self_signed_certificate(host: str, directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for `host` and its key, as PEM files in `directory`."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Nginx:
    """Debian's nginx in a folder of its own, serving config/nginx/presspass.conf on free ports in
    front of `upstream`, with a self-signed certificate for `host`."""

    def __init__(
        self, workdir: Path, *, upstream: str, static_root: Path, private_root: Path, host: str
    ):
        self.prefix = workdir / "nginx"
        self.host = host
        self.http_port, self.https_port = free_port(), free_port()
        self.base = f"https://{host}:{self.https_port}"
        self.values = {
            "SERVER_NAME": host,
            "HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
            "HTTPS_LISTEN": f"127.0.0.1:{self.https_port}",
            "UPSTREAM": upstream,
            "STATIC_ROOT": str(static_root),
            "PRIVATE_STORAGE_ROOT": str(private_root),
            "ACCESS_LOG": str(self.prefix / "site-access.log"),
        }
        self.process: subprocess.Popen | None = None
        self.tls: ssl.SSLContext | None = None  # trusts the certificate, once started

    def command(self, *args: str) -> list[str]:
        return [
            nginx_binary(),
            "-p",
            str(self.prefix),
            "-c",
            str(self.prefix / "nginx.conf"),
            "-e",
            str(self.prefix / "error.log"),
            "-g",
            f"daemon off; pid {self.prefix}/nginx.pid; error_log {self.prefix}/error.log;",
            *args,
        ]

    def start(self) -> None:
        (self.prefix / "tmp").mkdir(parents=True)
        cert, key = self_signed_certificate(self.host, self.prefix)
        site = render_site(
            NGINX_SITE.read_text(),
            TLS_CERTIFICATE=str(cert),
            TLS_CERTIFICATE_KEY=str(key),
            **self.values,
        )
        (self.prefix / "presspass.conf").write_text(site)
        (self.prefix / "nginx.conf").write_text(
            _NGINX_MAIN.format(
                prefix=self.prefix,
                user=pwd.getpwuid(os.geteuid()).pw_name,
                group=grp.getgrgid(os.getegid()).gr_name,
            )
        )
        checked = subprocess.run(self.command("-t", "-q"), capture_output=True, text=True)
        assert checked.returncode == 0, f"nginx -t: {checked.stderr}{self.log()}"
        self.tls = ssl.create_default_context(cafile=str(cert))
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(lambda: self._accepts(self.https_port), timeout=10, what="nginx")

    @staticmethod
    def _accepts(port: int) -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def browser(self) -> Browser:
        return Browser(self.base, tls=self.tls)

    def log(self) -> str:
        return (self.prefix / "error.log").read_text(errors="replace")[-4000:]
