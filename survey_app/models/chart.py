"""Drawn charts, kept so that each is drawn once per change of what it shows."""
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import utcnow


class DrawnChart(db.Model):
    """One chart as SVG text, under the digest of everything it shows (`reports.drawn`).

    The key names the chart's kind, its figures, its translated labels and the drawing code,
    so a row is never stale: new results or a new label give a new key. `source` is the key
    of the campaign's results the chart was drawn from; rows of older results are deleted
    when a chart of newer ones is kept. Nothing here is not already in the results.
    """
    __tablename__ = "drawn_charts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(200))
    svg: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
