"""Real servers for the tests that go through HTTP as a hall does: gunicorn with several workers
on a free port, an optional Redis of the test's own for the shared rate limits, and a respondent
entering a code the way a phone does (GET the form, POST it with its CSRF token and cookie)."""
import contextlib
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


def _wait_for_app(port: int, process: subprocess.Popen, seconds: float = 180) -> None:
    """Until a worker answers: the master listens before its workers have built the app
    (seconds on a busy machine)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/health")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.5)
        finally:
            conn.close()
    raise RuntimeError(f"no worker answered on port {port} after {seconds} s")


@contextlib.contextmanager
def redis_server():
    """The URI of a Redis of this test's own (no persistence), or None when redis-server is missing."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, process, 15)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def gunicorn(database_url: str, workers: int = 2, **settings):
    """`gunicorn -c gunicorn.conf.py wsgi:app` on a free port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "GUNICORN_BIND": f"127.0.0.1:{port}",
           "GUNICORN_WORKERS": str(workers), **{key: str(value) for key, value in settings.items()}}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(port, process)
        _wait_for_app(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


def enter_code(base: str, code: str, lang: str = "zh_CN") -> tuple[int, dict, str]:
    """A phone enters `code` on /answer: the form first (its CSRF token and session cookie), then the POST.
    Returns the POST's status, headers and body."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    try:
        conn.request("GET", "/answer", headers={"Cookie": f"lang={lang}"})
        form = conn.getresponse()
        page = form.read().decode()
        cookies = [f"lang={lang}"] + [value.split(";", 1)[0] for key, value in form.getheaders()
                                      if key.lower() == "set-cookie"]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        body = f"csrf_token={token}&code={code}"
        conn.request("POST", "/answer", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(cookies)})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


class Phone:
    """A respondent's phone over plain HTTP: keeps its cookies, sends each form with its CSRF token."""

    def __init__(self, base: str, lang: str = "zh_CN"):
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.cookies = {"lang": lang}

    def request(self, method: str, path: str, fields: list[tuple[str, str]] | None = None):
        from urllib.parse import urlencode
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            body = None
            if fields is not None:
                body = urlencode(fields)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for key, value in response.getheaders():
                if key.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            conn.close()

    def post_form(self, path: str, fields: dict | list) -> tuple[int, dict, str]:
        """GET `path`'s page for its CSRF token, then POST `fields` to it."""
        _, _, page = self.request("GET", path)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        items = list(fields.items()) if isinstance(fields, dict) else list(fields)
        return self.request("POST", path, [("csrf_token", token), *items])
