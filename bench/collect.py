"""Benchmark of ballot collection through real HTTP: gunicorn in front of PostgreSQL.

    python -m bench.collect                     # 2000 ballots, 16 concurrent respondents
    python -m bench.collect --ballots 500 --concurrency 8 --database-url postgresql://postgres@127.0.0.1/test

Each simulated respondent does what a phone does with a slip: GET the code page (CSRF token),
POST the code, then POST the whole questionnaire (10 targets x 13 rating items). The script
times the code entry and the submission (the write path) as two phases, reports rates and
latency percentiles, checks that every acknowledged ballot is in the sealed box (mixed into
it, or waiting in its inbox), and compares with two baselines measured the same way in the
same run, by the same server: a trivial endpoint (`/health`), and a bare endpoint of the same
stack that stores one 12 KB row and commits (`bench/collect_app.py`), the floor of a write.
The bare inserts and the submissions are sent in turns (`--rounds` blocks of each), so that a
drift of the machine's speed during the run weighs on both alike. Both are posted with
`http.client` (`_post`), the questionnaire's body and the session cookie ready before the timed
window, as a phone has them: the load generator shares the machine's two cores with the server,
and a phone pays its own CPU. `--python-mixer` serves the submission that makes a mix due the
way it was served before PostgreSQL mixed itself (the long way, Python's mixer): the baseline of
`minping_mix`.

The workers are not recycled inside the timed window (`GUNICORN_MAX_REQUESTS=0` for this
server). A worker's start is measured too: gunicorn.conf.py preloads the app, so a worker is a fork of
the master (timed), and the master's one import and `create_app()` is timed in a fresh interpreter.
"""
import argparse
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _database(base_url: str):
    """A throw-away PostgreSQL database for this run."""
    name = f"minping_bench_{uuid.uuid4().hex[:8]}"
    base = base_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin, name, base.rsplit("/", 1)[0] + "/" + name


def _prepare(env: dict, n_codes: int) -> tuple[list[str], dict]:
    """Schema, a 10-target sector-style campaign, and n_codes access codes."""
    script = f"""
import json, questionnaires
from survey_app import create_app
from survey_app.extensions import db
from survey_app.admin import operations
from survey_app.ballots import operations as ballots
from survey_app.ballots.validation import asked, field_name
from survey_app.designer.operations import save_questionnaire
from survey_app.models import Target
app = create_app()
with app.app_context():
    db.create_all()
    version = save_questionnaire(questionnaires.template("sector_style"), publish=True)
    c = operations.create_campaign(code="bench", kind="sector_style", title_zh="压测", title_en="Bench", version=version)
    operations.add_group(c, code="staff", name_zh="干部职工", name_en="Staff", weight=1)
    targets = [Target(code=f"t{{i:02d}}", kind="unit", name_zh=f"单位{{i}}", name_en=f"Unit {{i}}") for i in range(10)]
    db.session.add_all(targets); db.session.flush()
    operations.set_targets(c, targets)
    operations.open_campaign(c, "benchmark passphrase")
    codes = ballots.issue_codes(c, c.group("staff"), {n_codes})
    q = c.questionnaire_version.parsed
    form = {{}}
    for item, target in asked(q, "staff", [t.code for t in targets]):
        if item.type == "rating":
            form[field_name(item.code, target)] = "A"
        elif item.type in ("single", "multiple"):
            form[field_name(item.code, target)] = item.options[0].code
    print(json.dumps({{"codes": codes, "form": form}}))
"""
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    import json
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["codes"], data["form"]


def _serve(env: dict, port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
                               f"127.0.0.1:{port}", "--log-level", "warning", "bench.collect_app:app"],
                              env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=5).ok:
                return server
        except requests.RequestException:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGTERM)
    raise RuntimeError("gunicorn did not start within 120 s")


def _enter(base: str, code: str) -> tuple[float, requests.Session | None, str]:
    """What a respondent does before answering: open the code page, type the code."""
    start = time.perf_counter()
    s = requests.Session()
    page = s.get(f"{base}/answer", timeout=30)
    token = TOKEN.search(page.text).group(1)
    r = s.post(f"{base}/answer", data={"csrf_token": token, "code": code}, allow_redirects=False, timeout=30)
    return time.perf_counter() - start, (s if r.status_code == 302 else None), token


def _post(base: str, path: str, body: bytes, headers: dict) -> tuple[int, str]:
    """One POST on a new connection, as a phone sends it, with as little of this load
    generator's own CPU as the standard library allows: it shares the machine with the server,
    and a phone pays its own. Used alike by the submissions and the bare inserts."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("POST", path, body, {"Content-Type": headers.pop("Content-Type"), **headers})
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Location", "")
    finally:
        conn.close()


def _ballot(session: requests.Session, token: str, form: dict) -> tuple[bytes, str]:
    """What a phone has ready to send once the questionnaire is filled in: the encoded form,
    and the session cookie the code page set (encoded before the timed window, as a phone
    encodes it on its own CPU)."""
    body = urlencode({**form, "csrf_token": token, "action": "submit"}).encode()
    cookie = f"session={session.cookies.get('session')}"
    session.close()
    return body, cookie


def _submit(base: str, body: bytes, cookie: str) -> tuple[float, bool]:
    """The write path: one POST that validates, seals and stores the ballot and burns the code."""
    start = time.perf_counter()
    status, location = _post(base, "/answer/questionnaire", body,
                             {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    return time.perf_counter() - start, status == 302 and location.endswith("/answer/done")


def _health(base: str, _i: int) -> tuple[float, bool]:
    start = time.perf_counter()
    r = requests.get(f"{base}/health", timeout=30)
    return time.perf_counter() - start, r.ok


def _workers_cpu(master: int) -> float:
    """CPU seconds used so far by the gunicorn master's workers (its child processes)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _postgres_cpu() -> float:
    """CPU seconds used so far by PostgreSQL's processes on this machine (its backends, WAL
    writer, checkpointer): what the database spends, when nothing else uses it meanwhile."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            line = stat.read_text()
        except OSError:
            continue
        if line[line.index("(") + 1:line.rindex(")")].startswith(("postgres", "postmaster")):
            fields = line.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


#: PostgreSQL's CPU seconds in the phases run by `_run` with a name, summed over its runs
PG_CPU: dict[str, float] = {}
#: CPU seconds of the phases run by `_run`, summed over its runs: (this load generator's, the
#: gunicorn workers'), by name
CPU: dict[str, tuple[float, float]] = {}


def _run(fn, jobs, concurrency, server=None, name=None):
    """Run the jobs; with `server` and `name`, record the phase's CPU on both sides in CPU."""
    start = time.perf_counter()
    client0 = time.process_time()
    workers0 = _workers_cpu(server.pid) if server else 0.0
    postgres0 = _postgres_cpu() if name else 0.0
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda job: fn(*job), jobs))
    if server and name:
        PG_CPU[name] = PG_CPU.get(name, 0.0) + _postgres_cpu() - postgres0
        client, workers = CPU.get(name, (0.0, 0.0))
        CPU[name] = (client + time.process_time() - client0, workers + _workers_cpu(server.pid) - workers0)
    return time.perf_counter() - start, results


#: the bare endpoint's row: the size of a padded envelope of this campaign, in round figures
BARE_ROW = 12 * 1024


def _bare_insert(base: str, _i: int) -> tuple[float, bool]:
    """The baseline of a write: one POST whose body is stored as one row, on a new connection
    like a phone's submission."""
    body = os.urandom(BARE_ROW)
    start = time.perf_counter()
    status, _location = _post(base, "/bench/insert", body, {"Content-Type": "application/octet-stream"})
    return time.perf_counter() - start, status == 204


WORKER_START = """
import resource, sys, time
t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime
from survey_app import create_app
t1 = time.perf_counter()
app = create_app()
t2 = time.perf_counter()
c2 = resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime
heavy = [m for m in ("matplotlib", "weasyprint", "scipy", "numpy", "pandas", "nacl", "openpyxl", "qrcode", "pypdf", "PIL", "Crypto") if m in sys.modules]
print(t1 - t0, t2 - t1, c2 - c0, ",".join(heavy))
"""


#: the baseline of a worker's start: the same stack's libraries (Flask, Flask-SQLAlchemy with
#: psycopg, Flask-WTF, Flask-Babel, Flask-Login, Flask-Limiter) and a bare app using them
BARE_START = WORKER_START.replace("from survey_app import create_app", """
from flask import Flask
import flask_sqlalchemy, flask_wtf.csrf, flask_babel, flask_login, flask_limiter, flask_limiter.util
import sqlalchemy.dialects.postgresql.psycopg
def create_app():
    app = Flask("bare")
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://u@localhost/x"
    flask_sqlalchemy.SQLAlchemy().init_app(app)
    flask_wtf.csrf.CSRFProtect(app)
    flask_babel.Babel(app)
    flask_login.LoginManager(app)
    flask_limiter.Limiter(flask_limiter.util.get_remote_address, app=app)
    return app""")


#: what a gunicorn worker pays with `preload_app` (gunicorn.conf.py): the master imports the
#: platform and builds the app once; each worker is a fork of it that drops the inherited
#: database pools (`survey_app.after_fork`, gunicorn's `post_fork`). Timed from just before
#: the fork to the child being ready for its first request (monotonic clock, shared by both
#: processes); CPU is the child's own (its counters start at zero at the fork).
WORKER_FORK = """
import os, resource, sys, time
from survey_app import after_fork, create_app
app = create_app()
for _ in range(5):
    read, write = os.pipe()
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        after_fork(app)
        t1 = time.perf_counter()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        os.write(write, f"{t1 - t0} {usage.ru_utime + usage.ru_stime}\\n".encode())
        os._exit(0)
    os.close(write)
    print(os.read(read, 100).decode().strip(), flush=True)
    os.close(read)
    os.waitpid(pid, 0)
"""


def fork_start(env: dict) -> dict:
    """A preloaded worker's start (see WORKER_FORK): median of 5 forks of one master."""
    out = subprocess.run([sys.executable, "-c", WORKER_FORK], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.split("\n")
    rows = sorted((float(a), float(b)) for a, b in (line.split() for line in out if line.strip()))
    return {"wall": rows[len(rows) // 2][0], "cpu": sorted(r[1] for r in rows)[len(rows) // 2]}


def worker_start(env: dict, runs: int = 5, script: str = WORKER_START) -> dict:
    """What a gunicorn worker pays before its first request: `from survey_app import create_app`
    and `create_app()` in a fresh interpreter (the interpreter's own start excluded); median of runs.
    `script=BARE_START`: the same for a bare app of the same stack, the baseline."""
    rows = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
        rows.append((float(out[0]), float(out[1]), float(out[2]), out[3] if len(out) > 3 else ""))
    rows.sort(key=lambda r: r[2])
    middle = rows[len(rows) // 2]
    return {"import": middle[0], "build": middle[1], "cpu": middle[2], "loaded": middle[3]}


def worker_starts(env: dict, runs: int = 5) -> tuple[dict, dict]:
    """The platform's start and the bare stack's, alternately, so that both see the same load."""
    ours, bare = [], []
    for _ in range(runs):
        ours.append(worker_start(env, 1))
        bare.append(worker_start(env, 1, BARE_START))
    ours.sort(key=lambda r: r["cpu"])
    bare.sort(key=lambda r: r["cpu"])
    return ours[runs // 2], bare[runs // 2]


def _percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--rounds", type=int, default=4,
                        help="blocks of the baseline and of the submissions, taken in turn")
    parser.add_argument("--python-mixer", action="store_true",
                        help="the submission that makes a mix due takes the long way and Python mixes "
                             "(the mixer before PostgreSQL ran it: the baseline of the server's mixer)")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args(argv)
    admin, name, url = _database(args.database_url)
    instance = tempfile.mkdtemp(prefix="minping-bench-")
    env = {**os.environ, "DATABASE_URL": url, "INSTANCE_PATH": instance, "KDF_STRENGTH": "interactive",
           "LOGIN_RATE_LIMIT": "1000000 per minute", "PUBLIC_RATE_LIMIT": "1000000 per minute",
           "GUNICORN_MAX_REQUESTS": "0", **({"BENCH_PYTHON_MIXER": "1"} if args.python_mixer else {})}
    server = None
    try:
        codes, form = _prepare(env, args.ballots)
        start, bare_start = worker_starts(env)
        forked = fork_start(env)
        bare_engine = create_engine(url)
        with bare_engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_rows (id varchar(32) PRIMARY KEY, payload bytea NOT NULL)"))
        server = _serve(env, args.port, args.workers)
        base = f"http://127.0.0.1:{args.port}"
        _run(_health, [(base, i) for i in range(200)], args.concurrency)  # warm-up
        _run(_bare_insert, [(base, i) for i in range(200)], args.concurrency)
        h_time, h_results = _run(_health, [(base, i) for i in range(args.ballots)], args.concurrency)
        e_time, entered = _run(_enter, [(base, c) for c in codes], args.concurrency)
        sessions = []
        for _t, session, token in entered:
            if session is not None:
                sessions.append((base, *_ballot(session, token, form)))
        # The baseline and the submissions take turns, a block of each per round, so that both
        # see the same machine (a shared host's speed drifts by a fifth over a minute).
        i_time = b_time = 0.0
        i_results, b_results = [], []
        for r in range(args.rounds):
            t, results = _run(_bare_insert, [(base, i) for i in range(args.ballots)][r::args.rounds],
                              args.concurrency, server, "insert")
            i_time, i_results = i_time + t, i_results + results
            t, results = _run(_submit, sessions[r::args.rounds], args.concurrency, server, "submit")
            b_time, b_results = b_time + t, b_results + results
        with bare_engine.connect() as conn:
            inserted = conn.execute(text("SELECT count(*) FROM bench_rows")).scalar_one()
        bare_engine.dispose()
        acknowledged = sum(ok for _t, ok in b_results)
        engine = create_engine(url)
        with engine.connect() as conn:
            boxed = conn.execute(text("SELECT count(*) FROM envelopes")).scalar_one()
            waiting = conn.execute(text("SELECT count(*) FROM envelope_inbox")).scalar_one()
            stored = boxed + waiting
            used = conn.execute(text("SELECT count(*) FROM access_codes WHERE state = 'used'")).scalar_one()
        engine.dispose()
        latencies = [t for t, _ok in b_results]
        health_rate = args.ballots / h_time
        insert_rate = args.ballots / i_time
        ballot_rate = len(sessions) / b_time
        insert_latencies = [t for t, _ok in i_results]
        enter_latencies = [t for t, _s, _tok in entered]
        print(f"collect: {args.ballots} ballots ({len(form)} answers each), {args.concurrency} concurrent clients, "
              f"gunicorn {args.workers} workers, PostgreSQL, "
              f"{'Python mixes (--python-mixer)' if args.python_mixer else 'the server mixes'}")
        print(f"  code entry (GET form + POST code)   {args.ballots / e_time:8.1f} respondents/s   "
              f"p50 {statistics.median(enter_latencies) * 1000:5.0f} ms   p99 {_percentile(enter_latencies, 99) * 1000:5.0f} ms")
        print(f"  ballot submission (POST, stored)    {ballot_rate:8.1f} ballots/s       "
              f"p50 {statistics.median(latencies) * 1000:5.0f} ms   p95 {_percentile(latencies, 95) * 1000:5.0f} ms"
              f"   p99 {_percentile(latencies, 99) * 1000:5.0f} ms")
        print(f"  whole flow                          {args.ballots / (e_time + b_time):8.1f} respondents/s")
        print(f"  acknowledged {acknowledged}, stored envelopes {stored} ({boxed} mixed into the box, "
              f"{waiting} waiting in the inbox), codes burnt {used}"
              f"  -> {'every acknowledged ballot stored' if stored == acknowledged == used else 'MISMATCH'}")
        print(f"  baseline bare insert (POST 12 KB row) {insert_rate:6.1f} rows/s          "
              f"p50 {statistics.median(insert_latencies) * 1000:5.0f} ms   p95 {_percentile(insert_latencies, 95) * 1000:5.0f} ms"
              f"   ({inserted} rows stored, {sum(ok for _t, ok in i_results)} acknowledged)")
        print(f"  baseline GET /health                {health_rate:8.1f} requests/s  "
              f"(ratio baseline / submission {health_rate / ballot_rate:.2f})")
        print(f"  RATIO submission / bare insert      {ballot_rate / insert_rate:8.2f}")
        (sc, sw), (ic, iw) = CPU["submit"], CPU["insert"]
        print(f"  CPU a request, gunicorn workers: submission {sw / len(sessions) * 1000:.2f} ms, bare insert"
              f" {iw / args.ballots * 1000:.2f} ms (ratio {iw / args.ballots / (sw / len(sessions)):.2f});"
              f" this load generator: {sc / len(sessions) * 1000:.2f} ms / {ic / args.ballots * 1000:.2f} ms"
              f" (PostgreSQL's not counted)")
        sp, ip = PG_CPU["submit"] / len(sessions), PG_CPU["insert"] / args.ballots
        s_all, i_all = sw / len(sessions) + sc / len(sessions) + sp, iw / args.ballots + ic / args.ballots + ip
        print(f"  CPU a request, all of it (workers + PostgreSQL + load generator, one machine): submission"
              f" {s_all * 1000:.2f} ms (PostgreSQL {sp * 1000:.2f}), bare insert {i_all * 1000:.2f} ms"
              f" (PostgreSQL {ip * 1000:.2f}): RATIO {i_all / s_all:.2f}")
        print(f"  worker start (gunicorn preload_app, as served above): a fork of the master"
              f" {forked['wall'] * 1000:.1f} ms wall, {forked['cpu'] * 1000:.1f} ms CPU (median of 5)")
        print(f"  the master's one build, paid once per server start (and by every worker without preload):"
              f" import {start['import'] * 1000:.0f} ms + create_app {start['build'] * 1000:.0f} ms"
              f" = {(start['import'] + start['build']) * 1000:.0f} ms wall, {start['cpu'] * 1000:.0f} ms CPU"
              f" (median of 5; loaded: {start['loaded'] or 'none of the heavy ones'})")
        print(f"  baseline: a bare app of the same stack  {(bare_start['import'] + bare_start['build']) * 1000:.0f} ms wall,"
              f" {bare_start['cpu'] * 1000:.0f} ms CPU   RATIO build / bare app (CPU) "
              f"{start['cpu'] / bare_start['cpu']:.2f}")
        print("  workers recycled inside the timed window: none (GUNICORN_MAX_REQUESTS=0); the bare insert and the"
              f" submissions taken in turn, {args.rounds} blocks of each")
        return 0 if stored == acknowledged == used and inserted >= args.ballots else 1
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
