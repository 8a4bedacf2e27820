"""API shapes of organisations and the change feed, with the identifier rules (SPEC §4).

The cross-field rules are plain functions so that the create body and a patched organisation
(checked in the service, after merging) follow exactly the same ones.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from leko_kit.schemas import ReadModel, StrictModel

CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"
# Path segments under /v1/organisations/ that are endpoints, not organisation codes.
RESERVED_CODES = frozenset({"changes"})
CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


class Sector(StrEnum):
    STATE = "state"
    REGION = "region"
    MUNICIPALITY = "municipality"


class Kind(StrEnum):
    MINISTRY = "ministry"
    AGENCY = "agency"
    REGION = "region"
    MUNICIPALITY = "municipality"
    ADMINISTRATION = "administration"
    INSTITUTION = "institution"


class InstitutionType(StrEnum):
    SCHOOL = "school"
    AFTER_SCHOOL_CARE = "after_school_care"
    DAYCARE = "daycare"
    REHABILITATION = "rehabilitation"
    SUBSTANCE_ABUSE_TREATMENT = "substance_abuse_treatment"
    HOSPITAL = "hospital"
    PSYCHIATRY = "psychiatry"
    RESIDENTIAL_CARE = "residential_care"
    PRISON_AND_PROBATION = "prison_and_probation"
    ELDERLY_CARE = "elderly_care"
    ADMINISTRATION = "administration"
    OTHER = "other"


class ChangeOp(StrEnum):
    CREATED = "created"
    UPDATED = "updated"


# The sector each kind belongs to; institutions and administrations exist in every sector.
KIND_SECTOR = {
    Kind.MINISTRY: Sector.STATE,
    Kind.AGENCY: Sector.STATE,
    Kind.REGION: Sector.REGION,
    Kind.MUNICIPALITY: Sector.MUNICIPALITY,
}


def _check_code(value: str) -> str:
    if not re.fullmatch(CODE_PATTERN, value):
        raise ValueError(
            "an organisation code is 2–64 characters of a–z, 0–9 and '-', starting with a "
            "letter or digit (e.g. `k101` or `kbh-noerrebro-skole`)"
        )
    if value in RESERVED_CODES:
        raise ValueError(f"`{value}` is reserved by the API; choose another code")
    return value


def _digits(count: int, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not (len(value) == count and value.isascii() and value.isdigit()):
            raise ValueError(f"{what} must be exactly {count} digits, as a string")
        return value

    return AfterValidator(check)


def _check_cvr(value: str) -> str:
    if sum(int(digit) * weight for digit, weight in zip(value, CVR_WEIGHTS, strict=True)) % 11:
        raise ValueError(
            "is not a valid CVR number (the modulus-11 check fails); copy it from the CVR "
            "register (datacvr.virk.dk)"
        )
    return value


OrgCode = Annotated[
    str,
    AfterValidator(_check_code),
    Field(json_schema_extra={"pattern": CODE_PATTERN}, examples=["k101"]),
]
Name = Annotated[str, Field(min_length=1, max_length=255, examples=["Københavns Kommune"])]
MunicipalityCode = Annotated[
    str,
    _digits(3, "a municipality code (kommunekode)"),
    Field(json_schema_extra={"pattern": r"^\d{3}$"}, examples=["101"]),
]
RegionCode = Annotated[
    str,
    _digits(4, "a region code (regionskode)"),
    Field(json_schema_extra={"pattern": r"^\d{4}$"}, examples=["1084"]),
]
Cvr = Annotated[
    str,
    _digits(8, "a CVR number"),
    AfterValidator(_check_cvr),
    Field(json_schema_extra={"pattern": r"^\d{8}$"}, examples=["64942212"]),
]
PNumber = Annotated[
    str,
    _digits(10, "a P-number (produktionsenhedsnummer)"),
    Field(json_schema_extra={"pattern": r"^\d{10}$"}, examples=["1003388394"]),
]


def sector_problem(kind: Kind, sector: Sector) -> str | None:
    expected = KIND_SECTOR.get(kind)
    if expected is not None and sector != expected:
        return f"an organisation of kind {kind.value} belongs to sector {expected.value}"
    return None


def institution_type_problem(kind: Kind, institution_type: InstitutionType | None) -> str | None:
    if kind == Kind.INSTITUTION and institution_type is None:
        return "is required for kind institution; choose one of: " + ", ".join(InstitutionType)
    if kind != Kind.INSTITUTION and institution_type is not None:
        return "is only for kind institution; leave it out (null) for other kinds"
    return None


def validity_problem(valid_from: date | None, valid_to: date | None) -> str | None:
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        return "valid_to is before valid_from; give a period that ends on or after it starts"
    return None


_KOBENHAVN: dict[str, Any] = {
    "code": "k101",
    "name": "Københavns Kommune",
    "sector": "municipality",
    "kind": "municipality",
    "parent_code": "r1084",
    "institution_type": None,
    "municipality_code": "101",
    "region_code": "1084",
    "cvr": "64942212",
    "p_number": None,
    "valid_from": None,
    "valid_to": None,
}

_SCHOOL: dict[str, Any] = {
    "code": "kbh-noerrebro-park-skole",
    "name": "Nørrebro Park Skole",
    "sector": "municipality",
    "kind": "institution",
    "parent_code": "k101",
    "institution_type": "school",
    "municipality_code": "101",
    "p_number": "1003388394",
    "valid_from": "2024-08-01",
}


class OrganisationCreate(StrictModel):
    """A new organisation. `municipality_code` and `region_code` are taken from the parent
    when left out; when given they must match the parent's."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SCHOOL]})

    code: OrgCode = Field(description="Unique, lower-case code; it never changes.")
    name: Name = Field(description="Official Danish name, e.g. `Aarhus Kommune`.")
    sector: Sector = Field(description="`state` (staten), `region` or `municipality` (kommune).")
    kind: Kind
    parent_code: OrgCode | None = Field(
        None, description="The organisation this one belongs to; null only for a root."
    )
    institution_type: InstitutionType | None = Field(
        None,
        validate_default=True,
        description="Required for kind `institution`, null otherwise.",
    )
    municipality_code: MunicipalityCode | None = Field(None, description="Kommunekode.")
    region_code: RegionCode | None = Field(None, description="Regionskode.")
    cvr: Cvr | None = Field(None, description="CVR number (8 digits, modulus-11 checked).")
    p_number: PNumber | None = Field(None, description="P-number of the workplace (10 digits).")
    valid_from: date | None = None
    valid_to: date | None = Field(None, validate_default=True)

    @field_validator("kind")
    @classmethod
    def _kind_fits_sector(cls, kind: Kind, info: ValidationInfo) -> Kind:
        sector = info.data.get("sector")
        problem = sector_problem(kind, sector) if sector is not None else None
        if problem:
            raise ValueError(problem)
        return kind

    @field_validator("institution_type")
    @classmethod
    def _institution_type_fits_kind(
        cls, institution_type: InstitutionType | None, info: ValidationInfo
    ) -> InstitutionType | None:
        kind = info.data.get("kind")
        problem = institution_type_problem(kind, institution_type) if kind is not None else None
        if problem:
            raise ValueError(problem)
        return institution_type

    @field_validator("valid_to")
    @classmethod
    def _period_is_ordered(cls, valid_to: date | None, info: ValidationInfo) -> date | None:
        problem = validity_problem(info.data.get("valid_from"), valid_to)
        if problem:
            raise ValueError(problem)
        return valid_to


class OrganisationUpdate(StrictModel):
    """Fields to change; fields left out keep their value. `code` cannot be changed.

    After the change the organisation must still satisfy every rule of a new one.
    """

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Nørrebro Park Skole og Fritidshjem"}]}
    )

    name: Name | None = None
    sector: Sector | None = None
    kind: Kind | None = None
    parent_code: OrgCode | None = None
    institution_type: InstitutionType | None = None
    municipality_code: MunicipalityCode | None = None
    region_code: RegionCode | None = None
    cvr: Cvr | None = None
    p_number: PNumber | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    @field_validator("name", "sector", "kind")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null; leave the field out to keep its value")
        return value


class OrganisationRead(ReadModel):
    """An organisation as every client sees it (SPEC §8)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_KOBENHAVN]})

    code: str
    name: str
    sector: Sector
    kind: Kind
    parent_code: str | None
    institution_type: InstitutionType | None
    municipality_code: str | None
    region_code: str | None
    cvr: str | None
    p_number: str | None
    valid_from: date | None
    valid_to: date | None


class ChangeRead(BaseModel):
    """One entry of the change feed: the organisation as it was right after change `seq`."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"seq": 104, "op": "created", "organisation": _SCHOOL}]}
    )

    seq: int = Field(description="Position in the feed; strictly increasing.")
    op: ChangeOp
    organisation: OrganisationRead


class ChangeFeed(BaseModel):
    """A page of the change feed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [{"seq": 104, "op": "created", "organisation": _SCHOOL}],
                    "next_cursor": "104",
                }
            ]
        }
    )

    items: list[ChangeRead]
    next_cursor: str | None = Field(
        description="Pass as `after` in the next poll. When nothing newer exists it is the "
        "cursor you sent (null only while the feed is empty): keep polling with it."
    )
