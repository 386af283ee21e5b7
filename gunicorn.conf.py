"""gunicorn settings for the platform: `gunicorn -c gunicorn.conf.py wsgi:app`.

Each value can be overridden from the environment (GUNICORN_WORKERS, GUNICORN_BIND, ...)
or on the command line; the defaults suit a server of its own behind nginx.
"""
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
#: the usual 2 x cores + 1: requests wait on the database and on sealing, not only on the CPU
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
worker_class = "sync"
#: a request that takes longer is killed; report PDFs of a large campaign are the slowest (a few s)
timeout = _int("GUNICORN_TIMEOUT", 60)
#: on reload or stop, requests under way (a ballot being stored) get this long to finish
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
#: a request line or header longer than this is refused by gunicorn itself with a bare 400
#: (URLs here are short; the app never sees such a request, so its own pages cannot answer)
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
#: workers are replaced now and then, so that a slow leak never grows; jitter keeps them
#: from restarting all at once
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
#: no access log: it would write client addresses beside respondents' URLs (anonymity)
accesslog = None
#: errors go to standard error without client addresses; the app logs none either
errorlog = "-"
#: "error", not "info": gunicorn's warnings about malformed requests name the client's address
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "error")
#: the master imports the platform and builds the app once; a worker is a fork of it, so a
#: worker's start (at boot, after a crash, at every `max_requests` recycling) costs a fork, not
#: an import and a `create_app()`. Nothing that talks to the outside is shared across the fork:
#: the master opens no database connection, and `post_fork` drops whatever pool the worker
#: inherited (`survey_app.after_fork`). New code needs a restart of gunicorn, not a HUP: a HUP
#: forks new workers from the same master, which keeps the code it loaded.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no")
#: behind a reverse proxy on the same machine only
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Each worker would count rate limits on its own: say so when they are kept in memory."""
    storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    if server.cfg.workers > 1 and storage.startswith("memory://"):
        server.log.warning("RATELIMIT_STORAGE_URI is memory://: each of the %d workers counts failed codes "
                           "and public ballots on its own; set it to redis://... to share the limits",
                           server.cfg.workers)


def post_fork(server, worker):
    """In each new worker, before its first request: no database connection of the master's."""
    if server.cfg.preload_app:
        from survey_app import after_fork

        after_fork(worker.app.wsgi())
