"""The registry's tables: organisations and their transactional outbox (the change feed)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leko_kit.tables import NAMING_CONVENTION, UTCDateTime, utcnow

# SQLite only makes `INTEGER PRIMARY KEY` an auto-incrementing rowid; PostgreSQL gets a bigint.
SequenceNumber = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Organisation(Base):
    """A state, regional or municipal organisation, placed in one hierarchy by `parent_code`."""

    __tablename__ = "organisations"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # `lower()`/`ILIKE` only fold ASCII on SQLite, so search runs on a Python-casefolded copy.
    name_folded: Mapped[str] = mapped_column(String(255))
    sector: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    parent_code: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("organisations.code"), index=True
    )
    institution_type: Mapped[str | None] = mapped_column(String(32), index=True)
    municipality_code: Mapped[str | None] = mapped_column(String(3), index=True)
    region_code: Mapped[str | None] = mapped_column(String(4))
    cvr: Mapped[str | None] = mapped_column(String(8))
    p_number: Mapped[str | None] = mapped_column(String(10))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OrganisationChange(Base):
    """One row per organisation write, in the same transaction: the change feed's source."""

    __tablename__ = "organisation_changes"

    seq: Mapped[int] = mapped_column(SequenceNumber, primary_key=True, autoincrement=True)
    op: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
