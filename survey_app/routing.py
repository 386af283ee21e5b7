"""URL converters that bound what a path may carry before any view or query sees it.

Werkzeug's `<int:…>` takes any run of digits: a 20-digit id overflows SQLite's 64-bit
integers and a 10-digit one PostgreSQL's `integer`, and both end in a 500. Every id of
this application is a positive 32-bit integer and every code a short ASCII token, so a
path outside those bounds names nothing: it is a 404, decided here, on both backends.
"""
from werkzeug.routing import BaseConverter, ValidationError

#: the largest value of PostgreSQL's `integer`, the type of every primary key here
MAX_ID = 2**31 - 1


class IdConverter(BaseConverter):
    """`<id:name>`: a database id, 1 to 2^31-1, in ASCII digits; anything else is a 404."""

    regex = r"[0-9]{1,10}"
    weight = 50  # as Werkzeug's numbers, so /x/<id> wins over /x/<code> when both match

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID or value[0] == "0":
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


class CodeConverter(BaseConverter):
    """`<code:name>`: a code, token or random id (1 to 64 of A-Z a-z 0-9 _ . -)."""

    regex = r"[A-Za-z0-9_.\-]{1,64}"


def init_app(app) -> None:
    """Before the blueprints are registered: their rules name these converters."""
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["code"] = CodeConverter
