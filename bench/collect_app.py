"""What `bench.collect` serves: the platform's own `create_app()`, plus one bare endpoint of
the same stack (Flask, its SQLAlchemy session, gunicorn, PostgreSQL) that stores the request's
body as one row and commits: the floor a ballot submission is measured against.

Never imported by the platform; `bench.collect` makes the table (`bench_rows`).
"""
import os
import secrets

from flask import request
from sqlalchemy import text

from survey_app import create_app, security
from survey_app.extensions import csrf, db

app = create_app()
if os.environ.get("BENCH_PYTHON_MIXER"):  # `bench.collect --python-mixer`: the baseline of the server's mixer
    from survey_app.ballots import operations as ballots

    ballots.SERVER_MIX = False


@app.post("/bench/insert")
@csrf.exempt
def bare_insert():
    db.session.execute(text("INSERT INTO bench_rows (id, payload) VALUES (:id, :payload)"),
                       {"id": secrets.token_hex(16), "payload": request.get_data()})
    db.session.commit()
    return "", 204


security.ENDPOINTS["bare_insert"] = security.PUBLIC  # every endpoint is declared (deny by default)
