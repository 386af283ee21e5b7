"""Long lists a page at a time (receipts, comments): the one place that counts, clamps and slices."""
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from .extensions import db


@dataclass
class Page:
    rows: list
    #: the page shown, 1-based, clamped to the pages there are
    page: int
    pages: int
    #: rows matching the query, on all pages
    total: int


def page_of(query: Select, page: int, per_page: int, *, scalars: bool = False) -> Page:
    """Rows `per_page` at a time of an ordered query; a page out of range shows the nearest one."""
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page or 1, 1), pages)
    result = db.session.execute(query.offset((page - 1) * per_page).limit(per_page))
    return Page(result.scalars().all() if scalars else result.all(), page, pages, total)
