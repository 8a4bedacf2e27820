"""The evaluation tables: question sets, rounds, leaders, invitations, responses with their
answers, and the aggregates maintained at write time.

Anonymity by construction:
- `invitations` keep only a SHA-256 hash of each token, the leader, the respondent group and
  whether it is spent; no time stamp of when it was spent.
- `responses` keep the leader, the respondent group and the month; no token, no invitation,
  no time stamp finer than the month. Nothing links a response to the invitation it used.

Aggregates (additive counters, updated in the transaction that stores a response):
- `leader_group_counts` per (leader, group): invited and responded — the response rates;
- `national_question_totals` per (year, sector, level, core question, group, shard) and
  `national_leaders` per (year, sector, level, shard): the national overview and the
  benchmark. A round is added to them when it closes, all at once (never response by
  response, which would let a reader watch single answers arrive); rounds closing at the same
  time write to different shards (`NATIONAL_SHARDS`), and readers add the shards up.

Answers stay stored as rows (`answers`) for the research export, and the leader and the
organisation reports count a leader's answers per group and question from them when read (a
leader's few dozen responses, through `responses.leader_id`). Keeping those counts as rows,
about 20 upserts per response, was a fifth of the response path's database time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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

NATIONAL_SHARDS = 16
CORE_THEME = "core"
LOCAL_THEME = "local"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class QuestionSet(Base):
    """A version of the national question set: `draft` until published, immutable after."""

    __tablename__ = "question_sets"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))  # draft | published
    note: Mapped[str | None] = mapped_column(String(500))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Evaluation(Base):
    """An evaluation round of one organisation (and its subtree)."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_code: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    question_set_version: Mapped[int] = mapped_column(ForeignKey("question_sets.version"))
    themes: Mapped[list[str]] = mapped_column(JSON)
    local_questions: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    anonymity_threshold: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128))
    # When the closed round was added to the national totals (None: not yet).
    national_counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Leader(Base):
    """A leader evaluated in a round; `leader_ref` is pseudonymous."""

    __tablename__ = "evaluation_leaders"
    __table_args__ = (UniqueConstraint("evaluation_id", "leader_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"))
    leader_ref: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(200))
    org_code: Mapped[str] = mapped_column(String(64))
    sector: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    responses: Mapped[int] = mapped_column(Integer, default=0)


class LeaderGroupCount(Base):
    __tablename__ = "leader_group_counts"

    leader_id: Mapped[int] = mapped_column(ForeignKey("evaluation_leaders.id"), primary_key=True)
    group: Mapped[str] = mapped_column(String(16), primary_key=True)
    invited: Mapped[int] = mapped_column(Integer)
    responded: Mapped[int] = mapped_column(Integer, default=0)


class Invitation(Base):
    """A one-time invitation: only the token's hash is kept."""

    __tablename__ = "invitations"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("evaluation_leaders.id"), index=True)
    group: Mapped[str] = mapped_column(String(16))
    spent: Mapped[bool] = mapped_column(Boolean, default=False)


class Response(Base):
    """One respondent's submission: the leader, the group and the month, nothing more."""

    __tablename__ = "responses"
    __table_args__ = (Index("ix_responses_year_id", "year", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, not ordered
    leader_id: Mapped[int] = mapped_column(ForeignKey("evaluation_leaders.id"), index=True)
    group: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)  # the evaluation's year
    month: Mapped[int] = mapped_column(Integer)  # yyyymm of the submission


class Answer(Base):
    """One answer: a value 1–5, or null for "ved ikke / ikke relevant".

    `response_id` is the response's id without a foreign key (revision 0002): answers are
    written only together with their response, in one statement, and checking the key cost
    a lookup of the response per answer, the largest single cost of storing a response."""

    __tablename__ = "answers"

    response_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int | None] = mapped_column(SmallInteger)


class NationalQuestionTotal(Base):
    __tablename__ = "national_question_totals"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    sector: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    group: Mapped[str] = mapped_column(String(16), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    n1: Mapped[int] = mapped_column(BigInteger, default=0)
    n2: Mapped[int] = mapped_column(BigInteger, default=0)
    n3: Mapped[int] = mapped_column(BigInteger, default=0)
    n4: Mapped[int] = mapped_column(BigInteger, default=0)
    n5: Mapped[int] = mapped_column(BigInteger, default=0)
    dont_know: Mapped[int] = mapped_column(BigInteger, default=0)


class NationalLeaders(Base):
    """Leaders with at least one response, per year, sector and level."""

    __tablename__ = "national_leaders"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    sector: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    leaders: Mapped[int] = mapped_column(Integer, default=0)
