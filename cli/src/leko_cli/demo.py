"""The demo data set, loaded through the gateway's public API like any integrator would.

Institutions (schools, daycare, after-school care, elderly care, ...) for several
municipalities and a region, so that the registry and the services that build on it have
realistic organisations to show, a year of staffing and sick leave for them (see
`sickleave_demo`), this year's leader-evaluation rounds (see `evaluation_demo`) and published
user-satisfaction and motivation survey rounds (see `surveys_demo`). Loading twice changes
nothing (existing codes and rounds are skipped; the same spells come back unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from leko_cli.evaluation_demo import EvaluationLoad, load_evaluations
from leko_cli.gateway_api import request
from leko_cli.sickleave_demo import Institution, SickLeaveLoad, load_sick_leave
from leko_cli.surveys_demo import SurveysLoad, load_surveys

# Municipality code → (short name used in codes, Danish area name)
MUNICIPALITIES = {
    "k101": ("kbh", "København"),
    "k751": ("aar", "Aarhus"),
    "k461": ("ode", "Odense"),
    "k851": ("aal", "Aalborg"),
    "k265": ("ros", "Roskilde"),
}

# Institution type → (code stem, Danish name pattern, how many per municipality)
INSTITUTIONS = {
    "school": ("skole", "{area} {n}. Skole", 4),
    "after_school_care": ("sfo", "SFO {area} {n}", 3),
    "daycare": ("dag", "Børnehuset {area} {n}", 5),
    "elderly_care": ("pleje", "Plejecenter {area} {n}", 2),
    "rehabilitation": ("rehab", "Genoptræning {area} {n}", 1),
    "substance_abuse_treatment": ("misbrug", "Rusmiddelcenter {area} {n}", 1),
}

REGION_INSTITUTIONS = [
    ("r1082-hospital-aarhus", "Aarhus Universitetshospital", "hospital"),
    ("r1082-psykiatri-aarhus", "Psykiatrien Region Midtjylland, Aarhus", "psychiatry"),
    ("r1084-hospital-rigs", "Rigshospitalet", "hospital"),
]


def demo_organisations() -> list[dict[str, object]]:
    organisations: list[dict[str, object]] = []
    for municipality, (short, area) in MUNICIPALITIES.items():
        for institution_type, (stem, pattern, count) in INSTITUTIONS.items():
            for n in range(1, count + 1):
                organisations.append(
                    {
                        "code": f"{short}-{stem}-{n}",
                        "name": pattern.format(area=area, n=n),
                        "sector": "municipality",
                        "kind": "institution",
                        "parent_code": municipality,
                        "institution_type": institution_type,
                        "municipality_code": municipality[1:],
                    }
                )
    for code, name, institution_type in REGION_INSTITUTIONS:
        region = code.split("-")[0]
        organisations.append(
            {
                "code": code,
                "name": name,
                "sector": "region",
                "kind": "institution",
                "parent_code": region,
                "institution_type": institution_type,
                "region_code": region[1:],
            }
        )
    return organisations


def demo_scope() -> list[str]:
    """The municipalities and regions the demo institutions belong to."""
    regions = sorted({code.split("-")[0] for code, _, _ in REGION_INSTITUTIONS})
    return [*MUNICIPALITIES, *regions]


@dataclass
class DemoLoad:
    organisations_created: int
    organisations_existing: int
    sick_leave: SickLeaveLoad
    evaluation: EvaluationLoad
    surveys: SurveysLoad

    def summary(self) -> str:
        return (
            f"demo data: {self.organisations_created} organisations created, "
            f"{self.organisations_existing} already there\n{self.sick_leave.summary()}\n"
            f"{self.evaluation.summary()}\n{self.surveys.summary()}"
        )


def load_demo_data(gateway_url: str, admin_key: str) -> DemoLoad:
    """Create the demo organisations, then their year of sick leave, their evaluations and
    their surveys."""
    created = existing = 0
    organisations = demo_organisations()
    with httpx.Client(
        base_url=gateway_url, headers={"X-API-Key": admin_key}, timeout=30.0
    ) as client:
        for organisation in organisations:
            response = request(client, "POST", "/registry/v1/organisations", json=organisation)
            if response.status_code == 201:
                created += 1
            elif response.status_code == 409:
                existing += 1
            else:
                raise RuntimeError(
                    f"demo organisation {organisation['code']} was refused: "
                    f"{response.status_code} {response.text}"
                )
        institutions = [
            Institution(str(organisation["code"]), str(organisation["institution_type"]))
            for organisation in organisations
        ]
        sick_leave = load_sick_leave(client, institutions, demo_scope())
        evaluation = load_evaluations(client, organisations)
        surveys = load_surveys(client, organisations)
    return DemoLoad(created, existing, sick_leave, evaluation, surveys)


def load_demo(gateway_url: str, admin_key: str) -> str:
    """Load the demo data set; returns a short summary."""
    return load_demo_data(gateway_url, admin_key).summary()
