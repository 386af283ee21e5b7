"""Questionnaires and their frozen versions."""
from datetime import datetime

import questionnaires
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import utcnow


#: parsed published versions (they are frozen, so the cache never goes stale)
_FROZEN: dict[tuple, questionnaires.Questionnaire] = {}


class Questionnaire(db.Model):
    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable code, unique across the platform
    code: Mapped[str] = mapped_column(String(64), unique=True)
    #: the appraisal kind the questionnaire serves (work_style, sector_style, ...)
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list["QuestionnaireVersion"]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.number",
        cascade="all, delete-orphan")

    @property
    def latest(self) -> "QuestionnaireVersion | None":
        return self.versions[-1] if self.versions else None

    @property
    def published_versions(self) -> list["QuestionnaireVersion"]:
        return [v for v in self.versions if v.status == "published"]

    def __repr__(self):
        return f"<Questionnaire {self.code!r} {self.kind}>"


class QuestionnaireVersion(db.Model):
    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    #: 1, 2, 3 ... within the questionnaire
    number: Mapped[int]
    #: draft (editable) or published (frozen for ever)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    #: the validated questionnaire as `questionnaires.to_dict` gives it
    definition: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[datetime | None]

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")

    @property
    def parsed(self) -> questionnaires.Questionnaire:
        """The questionnaire; a published version never changes, so its parse is kept per process."""
        # The publication time is part of the key: one process may serve several databases
        # (tests, tools) whose version ids overlap.
        key = (self.id, self.published_at)
        if self.frozen and key in _FROZEN:
            return _FROZEN[key]
        parsed = questionnaires.from_dict(self.definition)
        if self.frozen and self.id is not None:
            _FROZEN[key] = parsed
        return parsed

    @property
    def frozen(self) -> bool:
        return self.status == "published"

    def __repr__(self):
        return f"<QuestionnaireVersion {self.questionnaire_id} v{self.number} {self.status}>"
