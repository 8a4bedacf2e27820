"""The surveys tables: programmes and their questionnaire versions, rounds, enrolled
participants, local questions, invitations, responses, and the aggregates maintained at write
time.

Anonymity by construction:
- `invitations` keep only a SHA-256 hash of each token, the round, the organisation and
  whether it is spent; no time stamp of when it was spent.
- `responses` keep the round, the organisation, the month and the answers; no token, no
  invitation. A vendor's `external_id` (a pseudonymous reference of the vendor's own
  response record, CPR numbers refused) is kept so that an import can be repeated safely.

Aggregates (additive counters, written in the transaction that stores a response, so results
never scan responses):
- `participant_question_totals` per (round, organisation, question): how many answered 1, 2,
  3, 4, 5 and "ved ikke"; a `choice` question counts its options (at most five) in the same
  columns, in the order the questionnaire lists them;
- `participants.responded`: responses per enrolled organisation (the suppression sizes).

An area (`national`, `municipality:<code>` or, in the motivation survey, `sector:<name>`) is
the sum of its participants' totals of the national questions, added up when a closed round's
results are first read (revision 0002 dropped the totals per area that every response used to
write: they cost more than storing the response).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leko_kit.tables import NAMING_CONVENTION, UTCDateTime, utcnow

NATIONAL_AREA = "national"
COUNTERS = ("n1", "n2", "n3", "n4", "n5", "dont_know")


def municipality_area(code: str) -> str:
    return f"municipality:{code}"


def sector_area(sector: str) -> str:
    return f"sector:{sector}"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Programme(Base):
    """A national survey programme (seeded): who answers, and which organisations take part."""

    __tablename__ = "programmes"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    label_da: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    respondents: Mapped[str] = mapped_column(String(32))
    # Institution types that fit; null: any organisation of the listed sectors.
    institution_types: Mapped[list[str] | None] = mapped_column(JSON)
    sectors: Mapped[list[str]] = mapped_column(JSON)
    by_sector: Mapped[bool] = mapped_column(Boolean, default=False)


class Questionnaire(Base):
    """A version of a programme's national questions; immutable once a round uses it."""

    __tablename__ = "questionnaires"

    programme: Mapped[str] = mapped_column(ForeignKey("programmes.code"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    note: Mapped[str | None] = mapped_column(String(500))
    headline_question_id: Mapped[str] = mapped_column(String(32))
    content: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128))


class Round(Base):
    """A national round of a programme (one per programme and year)."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("programme", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    programme: Mapped[str] = mapped_column(ForeignKey("programmes.code"))
    year: Mapped[int] = mapped_column(Integer)
    questionnaire_version: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    anonymity_threshold: Mapped[int] = mapped_column(SmallInteger)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128))


class Participant(Base):
    """An organisation enrolled in a round, placed in the hierarchy as it was at enrolment."""

    __tablename__ = "participants"
    __table_args__ = (Index("ix_participants_round_municipality", "round_id", "municipality"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    org_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    lineage: Mapped[list[str]] = mapped_column(JSON)  # the code and its ancestors
    municipality: Mapped[str | None] = mapped_column(String(64))
    sector: Mapped[str] = mapped_column(String(32))
    institution_type: Mapped[str | None] = mapped_column(String(64))
    invited: Mapped[int] = mapped_column(Integer, default=0)
    responded: Mapped[int] = mapped_column(Integer, default=0)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    enrolled_by: Mapped[str] = mapped_column(String(128))


class LocalQuestion(Base):
    """A question an organisation adds to a round for its own subtree; reported to the owner
    only, unless the owner publishes it."""

    __tablename__ = "local_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    owner_code: Mapped[str] = mapped_column(String(64))
    text_da: Mapped[str] = mapped_column(String(300))
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128))


class Invitation(Base):
    """A one-time invitation: only the token's hash is kept."""

    __tablename__ = "invitations"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    org_code: Mapped[str] = mapped_column(String(64))
    spent: Mapped[bool] = mapped_column(Boolean, default=False)


class Response(Base):
    """One respondent's answers: the round, the organisation and the month, nothing more."""

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("round_id", "external_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, not ordered
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    org_code: Mapped[str] = mapped_column(String(64))
    month: Mapped[int] = mapped_column(Integer)  # yyyymm of the submission
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)  # question id → value or null
    external_id: Mapped[str | None] = mapped_column(String(128))
    content_hash: Mapped[str | None] = mapped_column(String(64))


class ParticipantQuestionTotal(Base):
    __tablename__ = "participant_question_totals"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    org_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    n1: Mapped[int] = mapped_column(Integer, default=0)
    n2: Mapped[int] = mapped_column(Integer, default=0)
    n3: Mapped[int] = mapped_column(Integer, default=0)
    n4: Mapped[int] = mapped_column(Integer, default=0)
    n5: Mapped[int] = mapped_column(Integer, default=0)
    dont_know: Mapped[int] = mapped_column(Integer, default=0)
