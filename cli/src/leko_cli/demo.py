"""The demo data set, loaded through the gateway's public API like any integrator would.

Institutions (schools, daycare, after-school care, elderly care, ...) for several
municipalities and a region, so that the registry and the services that build on it have
realistic organisations to show. Loading twice changes nothing (existing codes are skipped).
"""

from __future__ import annotations

import httpx

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


def load_demo(gateway_url: str, admin_key: str) -> str:
    """Create the demo organisations; returns a one-line summary."""
    created = existing = 0
    with httpx.Client(
        base_url=gateway_url, headers={"X-API-Key": admin_key}, timeout=30.0
    ) as client:
        for organisation in demo_organisations():
            response = client.post("/registry/v1/organisations", json=organisation)
            if response.status_code == 201:
                created += 1
            elif response.status_code == 409:
                existing += 1
            else:
                raise RuntimeError(
                    f"demo organisation {organisation['code']} was refused: "
                    f"{response.status_code} {response.text}"
                )
    return f"demo data: {created} organisations created, {existing} already there"
