"""A deterministic, realistic Leonar workspace to rehearse on.

Everything named below has a fixed id whatever the seed; the seed only shuffles the
crowd (names, skills, which extra contacts have emails). Notable facts, each exposed
as a constant so tests can refer to it:

- Projects: MAIN_PROJECT "Senior Backend Engineer - Paris" (active, client
  CLIENT_COMPANY "Nimbus Robotics", stages Sourced .. Hired), BERLIN_PROJECT,
  a London project on hold and a closed Lyon project. A pipeline template
  TEMPLATE "Tech hiring".
- Connected accounts: ACTIVE_ACCOUNT (recruiter and classic active) and
  INACTIVE_ACCOUNT (every LinkedIn API inactive).
- LinkedIn geo ids in LOCATIONS: Paris 105015875, Berlin, London, Lyon, Amsterdam,
  Madrid and their regions and countries.
- LinkedIn profiles: PROFILE_COUNT in all. The first PARIS_BACKEND_COUNT are in
  Paris with a backend or software engineer title; among them, the ones at
  NULL_NAME_INDEXES have null names (their real names are resolvable through the
  active account), IN_PROJECT_INDEXES are already contacts in MAIN_PROJECT,
  DUPLICATE_URL_INDEXES match an existing contact by LinkedIn URL and
  DUPLICATE_EMAIL_INDEXES (profiles that carry an email) match one by email.
- Contacts: CONTACT_COUNT, newest first in lists; the ones with a known company get
  an email by enrichment, the ones without fail. DO_NOT_CONTACT_IDS are
  blacklisted; NO_EMAIL_CONTACT_IDS have no email. ACTIVE_ELSEWHERE_IDS are
  active in BERLIN_SEQUENCE, ENROLLED_IDS already in ACTIVE_SEQUENCE.
- Sequences: ACTIVE_SEQUENCE and BERLIN_SEQUENCE (active), PAUSED_SEQUENCE, and
  DRAFT_SEQUENCE.
- Deals: DEAL_PIPELINE "Client deals" (Lead, Qualified, Proposal, Negotiation) and
  OTHER_DEAL_PIPELINE "Retained search"; OPEN_DEAL for CLIENT_COMPANY in
  Qualified, a won and a lost deal.
- Tags TAGS, members MEMBERS, one CONVERSATION with a reply, SOURCING_CREDITS
  credits for the advanced profile search.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from typing import Any

from crew.sandbox.clock import iso

__all__ = [
    "ACTIVE_ACCOUNT",
    "ACTIVE_SEQUENCE",
    "BERLIN_PROJECT",
    "BERLIN_SEQUENCE",
    "CLIENT_COMPANY",
    "CONTACT_COUNT",
    "CONVERSATION",
    "DEAL_PIPELINE",
    "DEAL_STAGES",
    "DRAFT_SEQUENCE",
    "INACTIVE_ACCOUNT",
    "MAIN_PROJECT",
    "MAIN_STAGES",
    "OPEN_DEAL",
    "OTHER_DEAL_PIPELINE",
    "PARIS_GEO_ID",
    "PAUSED_SEQUENCE",
    "PROFILE_COUNT",
    "SOURCING_CREDITS",
    "TEMPLATE",
    "build",
    "fixed_id",
]

_NAMESPACE = uuid.UUID("6f1c2d52-9a3e-4c1b-8f0e-5d2a7b9c4e10")
_EPOCH = 1736154000  # 2025-01-06T09:00:00Z: every seeded timestamp counts from it.


def fixed_id(kind: str, name: str) -> str:
    """The id of a named seed record, the same whatever the seed."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


MAIN_PROJECT = fixed_id("project", "Senior Backend Engineer - Paris")
BERLIN_PROJECT = fixed_id("project", "Data Engineer - Berlin")
LONDON_PROJECT = fixed_id("project", "Engineering Manager - London")
LYON_PROJECT = fixed_id("project", "Product Designer - Lyon")
TEMPLATE = fixed_id("template", "Tech hiring")
STAGE_NAMES = ("Sourced", "Contacted", "Screening", "Interview", "Offer", "Hired")
MAIN_STAGES = {
    name: fixed_id("stage", f"{MAIN_PROJECT}:{name}") for name in STAGE_NAMES
}

CLIENT_COMPANY = fixed_id("company", "Nimbus Robotics")
ACTIVE_ACCOUNT = fixed_id("account", "Camille Laurent")
INACTIVE_ACCOUNT = fixed_id("account", "Hugo Bernard")

ACTIVE_SEQUENCE = fixed_id("sequence", "Backend Engineers Paris - intro")
BERLIN_SEQUENCE = fixed_id("sequence", "Data Engineers Berlin - intro")
PAUSED_SEQUENCE = fixed_id("sequence", "Q3 re-engagement")
DRAFT_SEQUENCE = fixed_id("sequence", "Product Designers Lyon")

DEAL_PIPELINE = fixed_id("deal_pipeline", "Client deals")
OTHER_DEAL_PIPELINE = fixed_id("deal_pipeline", "Retained search")
DEAL_STAGE_NAMES = ("Lead", "Qualified", "Proposal", "Negotiation")
DEAL_STAGES = {
    name: fixed_id("deal_stage", f"{DEAL_PIPELINE}:{name}") for name in DEAL_STAGE_NAMES
}
OTHER_DEAL_STAGE_NAMES = ("Kickoff", "Shortlist", "Placement")
OTHER_DEAL_STAGES = {
    name: fixed_id("deal_stage", f"{OTHER_DEAL_PIPELINE}:{name}")
    for name in OTHER_DEAL_STAGE_NAMES
}
OPEN_DEAL = fixed_id("deal", "Nimbus Robotics - 3 backend hires")
WON_DEAL = fixed_id("deal", "Fernwave - data team")
LOST_DEAL = fixed_id("deal", "Orbital Foods - head of engineering")
CONVERSATION = fixed_id("conversation", "first reply")

PARIS_GEO_ID = "105015875"
SOURCING_CREDITS = 50

# (geo id, title, the geo ids it lies within)
LOCATIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "105015875",
        "Paris, Île-de-France, France",
        ("90009659", "104246759", "101174742"),
    ),
    ("90009659", "Greater Paris Metropolitan Region", ("104246759", "101174742")),
    ("104246759", "Île-de-France, France", ("101174742",)),
    ("101174742", "France", ()),
    ("102580396", "Lyon, Auvergne-Rhône-Alpes, France", ("101174742",)),
    ("106967730", "Berlin, Germany", ("101282230",)),
    ("101282230", "Germany", ()),
    ("102257491", "London, England, United Kingdom", ("101165590",)),
    ("90009496", "Greater London", ("101165590",)),
    ("101165590", "United Kingdom", ()),
    ("102011674", "Amsterdam, North Holland, Netherlands", ("102890719",)),
    ("102890719", "Netherlands", ()),
    ("103374081", "Madrid, Community of Madrid, Spain", ("105646813",)),
    ("105646813", "Spain", ()),
    ("105088894", "Barcelona, Catalonia, Spain", ("105646813",)),
    ("100477049", "Munich, Bavaria, Germany", ("101282230",)),
)
_CITY_GEO = {
    "Paris": "105015875",
    "Lyon": "102580396",
    "Berlin": "106967730",
    "London": "102257491",
    "Amsterdam": "102011674",
    "Madrid": "103374081",
}

PARIS_BACKEND_COUNT = 60
PROFILE_COUNT = 150
NULL_NAME_INDEXES = tuple(range(4, PARIS_BACKEND_COUNT, 7))  # 4, 11, 18, ...
IN_PROJECT_INDEXES = (0, 1, 2)
DUPLICATE_URL_INDEXES = (5, 6)
DUPLICATE_EMAIL_INDEXES = (7, 8)
CONTACT_COUNT = 48
TAGS = ("Backend", "Referral", "Silver medalist", "Relocation")
MEMBERS = (("Camille", "Laurent"), ("Hugo", "Bernard"), ("Inès", "Moreau"))

_FIRST = (
    "Léa", "Hugo", "Chloé", "Louis", "Manon", "Jules", "Emma", "Arthur", "Inès",
    "Lucas", "Sarah", "Nathan", "Camille", "Théo", "Zoé", "Paul", "Anna", "Noah",
    "Julia", "Ethan", "Clara", "Maxime", "Lina", "Adam", "Eva", "Victor", "Alice",
    "Tom", "Jade", "Samuel", "Mila", "Oscar", "Nina", "Felix", "Greta", "Jonas",
)  # fmt: skip
_LAST = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
    "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "Andre", "Mercier",
    "Schmidt", "Müller", "Weber", "Smith", "Jones", "Taylor", "de Vries", "Jansen",
    "García", "López",
)  # fmt: skip
_COMPANIES = (
    ("Nimbus Robotics", "nimbus-robotics.com", "Robotics"),
    ("Fernwave", "fernwave.io", "Software"),
    ("Orbital Foods", "orbitalfoods.com", "Food & Beverages"),
    ("Kestrel Pay", "kestrelpay.com", "Financial Services"),
    ("Lumen Health", "lumenhealth.fr", "Hospital & Health Care"),
    ("Quartz Logistics", "quartzlogistics.eu", "Logistics"),
    ("Sable Security", "sablesec.io", "Computer & Network Security"),
    ("Tidal Energy", "tidal-energy.de", "Renewables"),
    ("Vireo Games", "vireogames.com", "Computer Games"),
    ("Atlas Mobility", "atlasmobility.co", "Automotive"),
)
_BACKEND_TITLES = (
    "Backend Engineer",
    "Senior Backend Engineer",
    "Software Engineer",
    "Senior Software Engineer",
)
_OTHER_ROLES = (
    ("Data Engineer", ("Python", "Spark", "Airflow", "SQL")),
    ("Frontend Engineer", ("TypeScript", "React", "CSS")),
    ("Product Designer", ("Figma", "User Research", "Prototyping")),
    ("Engineering Manager", ("Leadership", "Hiring", "Go")),
    ("DevOps Engineer", ("Kubernetes", "Terraform", "AWS")),
)
_BACKEND_SKILLS = (
    "Python",
    "Go",
    "PostgreSQL",
    "Kafka",
    "Django",
    "Kubernetes",
    "Java",
)


def build(seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """Every table's records for a seed; the same seed gives the same workspace."""
    rng = random.Random(seed)
    tables: dict[str, list[dict[str, Any]]] = {}
    tables["workspace"] = [
        {"id": "workspace", "name": "Acme Talent", "sourcing_credits": SOURCING_CREDITS}
    ]
    tables["members"] = _members()
    tables["companies"] = _companies()
    tables["tags"] = _tags()
    tables["pipeline_templates"] = [
        {"id": TEMPLATE, "name": "Tech hiring", "stages": list(STAGE_NAMES)}
    ]
    tables["projects"], tables["stages"] = _projects()
    tables["connected_accounts"] = _accounts()
    tables["locations"] = [
        {"id": geo, "title": title, "within": list(within)}
        for geo, title, within in LOCATIONS
    ]
    tables["linkedin_profiles"] = _profiles(rng)
    tables["contacts"] = _contacts(rng, tables["linkedin_profiles"])
    tables["pipeline_entries"] = _entries(tables["contacts"])
    tables["sequences"] = _sequences()
    tables["enrollments"] = _enrollments(tables["contacts"])
    tables["conversations"], tables["messages"] = _conversation(tables["contacts"])
    tables["deal_pipelines"], tables["deal_stages"] = _deal_pipelines()
    tables["deals"] = _deals(tables["contacts"])
    return tables


def _at(hours: float) -> str:
    return iso(_EPOCH + hours * 3600)


def _members() -> list[dict[str, Any]]:
    return [
        {
            "id": fixed_id("member", f"{first} {last}"),
            "first_name": first,
            "last_name": last,
            "email": f"{_ascii(first)}@acme-talent.com",
        }
        for first, last in MEMBERS
    ]


def _companies() -> list[dict[str, Any]]:
    return [
        {
            "id": fixed_id("company", name),
            "name": name,
            "domain": domain,
            "industry": industry,
            "created_at": _at(index),
        }
        for index, (name, domain, industry) in enumerate(_COMPANIES)
    ]


def _tags() -> list[dict[str, Any]]:
    colors = ("#1F6FEB", "#2DA44E", "#BF8700", "#8250DF")
    return [
        {
            "id": fixed_id("tag", name),
            "name": name,
            "color": color,
            "scope": "contact",
            "created_at": _at(index),
        }
        for index, (name, color) in enumerate(zip(TAGS, colors, strict=True))
    ]


def _projects() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    specs = (
        (MAIN_PROJECT, "Senior Backend Engineer - Paris", "active", CLIENT_COMPANY),
        (BERLIN_PROJECT, "Data Engineer - Berlin", "active", None),
        (LONDON_PROJECT, "Engineering Manager - London", "on_hold", None),
        (LYON_PROJECT, "Product Designer - Lyon", "closed", None),
    )
    projects, stages = [], []
    for index, (project_id, name, status, client) in enumerate(specs):
        projects.append(
            {
                "id": project_id,
                "name": name,
                "status": status,
                "client_company_id": client,
                "owner_ids": [fixed_id("member", "Camille Laurent")],
                "created_at": _at(24 + index),
            }
        )
        stages.extend(stage_records(project_id, STAGE_NAMES))
    return projects, stages


def stage_records(project_id: str, names: tuple[str, ...] | list[str]) -> list[dict]:
    """The stages of a project's pipeline, in order."""
    return [
        {
            "id": fixed_id("stage", f"{project_id}:{name}"),
            "project_id": project_id,
            "name": name,
            "position": position,
            "system_category": name.lower(),
        }
        for position, name in enumerate(names)
    ]


def _accounts() -> list[dict[str, Any]]:
    return [
        {
            "id": ACTIVE_ACCOUNT,
            "name": "Camille Laurent",
            "license_type": "recruiter",
            "api_status": {
                "classic": "active",
                "sales_navigator": "inactive",
                "recruiter": "active",
            },
        },
        {
            "id": INACTIVE_ACCOUNT,
            "name": "Hugo Bernard",
            "license_type": "sales_navigator",
            "api_status": {
                "classic": "inactive",
                "sales_navigator": "inactive",
                "recruiter": "inactive",
            },
        },
    ]


def _profiles(rng: random.Random) -> list[dict[str, Any]]:
    profiles = []
    cities = [c for c in _CITY_GEO if c != "Paris"]
    for index in range(PROFILE_COUNT):
        if index < PARIS_BACKEND_COUNT:
            city, title = "Paris", _BACKEND_TITLES[index % len(_BACKEND_TITLES)]
            skills = rng.sample(_BACKEND_SKILLS, 3)
        else:
            city = cities[index % len(cities)]
            title, pool = _OTHER_ROLES[index % len(_OTHER_ROLES)]
            skills = rng.sample(pool, 2)
            if index % 9 == 0:
                city, title = "Paris", "Software Engineer"
        profiles.append(_profile(rng, index, city, title, skills))
    return profiles


def _profile(
    rng: random.Random, index: int, city: str, title: str, skills: list[str]
) -> dict[str, Any]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    company = _COMPANIES[rng.randrange(1, len(_COMPANIES))][0]
    years = rng.randint(1, 15)
    slug = f"{_ascii(first)}-{_ascii(last)}-{index:03d}{rng.randrange(16**4):04x}"
    hidden = index in NULL_NAME_INDEXES
    email = None
    if index in DUPLICATE_EMAIL_INDEXES:
        email = f"{_ascii(first)}.{_ascii(last)}.{index}@gmail.com"
    return {
        "id": f"ACoAA{index:04d}{rng.randrange(16**8):08X}",
        "first_name": None if hidden else first,
        "last_name": None if hidden else last,
        "resolved_first_name": first,
        "resolved_last_name": last,
        "headline": f"{title} at {company}",
        "picture_url": None,
        "location": next(t for g, t, _ in LOCATIONS if g == _CITY_GEO[city]),
        "geo_id": _CITY_GEO[city],
        "linkedin_url": f"https://www.linkedin.com/in/{slug}",
        "email": email,
        "summary": f"{title} with {years} years of experience. {', '.join(skills)}.",
        "current_job": {"title": title, "company_name": company},
        "experiences": [
            {
                "title": title,
                "company_name": company,
                "start_date": f"{2025 - min(years, 4)}-01",
                "end_date": None,
                "description": None,
                "is_current": True,
            }
        ],
        "educations": [],
        "skills": skills,
        "total_years_experience": years,
    }


def _ascii(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "-")


def _contacts(
    rng: random.Random, profiles: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    contacts = []
    for index in IN_PROJECT_INDEXES + DUPLICATE_URL_INDEXES:
        contacts.append(_from_profile(profiles[index], len(contacts), email=True))
    for index in DUPLICATE_EMAIL_INDEXES:
        contact = _from_profile(profiles[index], len(contacts), email=False)
        contact["linkedin_profile"] = None
        contact["emails"] = [{"email": profiles[index]["email"], "type": "personal"}]
        contacts.append(contact)
    while len(contacts) < CONTACT_COUNT:
        contacts.append(_crowd_contact(rng, len(contacts)))
    return contacts


def _from_profile(
    profile: dict[str, Any], position: int, *, email: bool
) -> dict[str, Any]:
    first, last = profile["resolved_first_name"], profile["resolved_last_name"]
    company = profile["current_job"]["company_name"]
    contact = _contact_record(
        position, first, last, profile["current_job"]["title"], company
    )
    contact["location"] = profile["location"]
    contact["linkedin_profile"] = profile["linkedin_url"]
    contact["skills"] = list(profile["skills"])
    contact["source"] = "linkedin"
    if not email:
        contact["emails"] = []
    return contact


def _crowd_contact(rng: random.Random, position: int) -> dict[str, Any]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    title, skills = rng.choice(_OTHER_ROLES + (("Backend Engineer", _BACKEND_SKILLS),))
    with_company = position % 5 != 0
    company = (
        _COMPANIES[1 + position % (len(_COMPANIES) - 1)][0] if with_company else None
    )
    contact = _contact_record(position, first, last, title, company)
    contact["skills"] = rng.sample(list(skills), 2)
    contact["location"] = rng.choice(list(_CITY_GEO))
    if position % 3 == 0:
        contact["emails"] = []
    if position % 4 == 0:
        contact["phones"] = [
            {"phone": f"+33 6 {position:02d} 45 67 89", "type": "mobile"}
        ]
    if position in (10, 21, 32):
        contact["do_not_contact"] = True
        contact["global_status"] = "do_not_contact"
    if position % 6 == 1:
        contact["tags"] = [TAGS[position % len(TAGS)]]
    return contact


def _contact_record(
    position: int, first: str, last: str, title: str, company: str | None
) -> dict[str, Any]:
    domain = next((d for n, d, _ in _COMPANIES if n == company), None)
    return {
        "id": fixed_id("contact", str(position)),
        "first_name": first,
        "last_name": last,
        "title": title,
        "current_company": company,
        "company_id": fixed_id("company", company) if company else None,
        "location": None,
        "linkedin_profile": None,
        "emails": [
            {"email": f"{_ascii(first)}.{_ascii(last)}@{domain}", "type": "work"}
        ]
        if domain
        else [],
        "phones": [],
        "skills": [],
        "tags": [],
        "global_status": "new",
        "source": "manual",
        "summary": None,
        "years_experience": None,
        "do_not_contact": False,
        "last_contacted_at": None,
        "archived_at": None,
        "created_at": _at(48 + position),
        "updated_at": _at(48 + position),
    }


def contact_ids_where(contacts: list[dict[str, Any]], test: Any) -> tuple[str, ...]:
    """The ids of the seeded contacts passing test."""
    return tuple(c["id"] for c in contacts if test(c))


def _entries(contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    entries = []
    for position in range(len(IN_PROJECT_INDEXES)):
        entries.append(
            _entry(MAIN_PROJECT, contacts[position]["id"], "Sourced", position)
        )
    for position in (12, 13, 14):
        entries.append(
            _entry(BERLIN_PROJECT, contacts[position]["id"], "Contacted", position)
        )
    return entries


def _entry(project_id: str, contact_id: str, stage: str, hours: int) -> dict[str, Any]:
    return {
        "id": fixed_id("entry", f"{project_id}:{contact_id}"),
        "project_id": project_id,
        "stage_id": fixed_id("stage", f"{project_id}:{stage}"),
        "contact_id": contact_id,
        "rating": None,
        "notes": None,
        "rejection_reason_id": None,
        "created_at": _at(100 + hours),
        "updated_at": _at(100 + hours),
    }


def _sequences() -> list[dict[str, Any]]:
    specs = (
        (ACTIVE_SEQUENCE, "Backend Engineers Paris - intro", "active", 3),
        (BERLIN_SEQUENCE, "Data Engineers Berlin - intro", "active", 4),
        (PAUSED_SEQUENCE, "Q3 re-engagement", "paused", 2),
        (DRAFT_SEQUENCE, "Product Designers Lyon", "draft", 0),
    )
    return [
        {
            "id": sequence_id,
            "name": name,
            "status": status,
            "priority": "normal",
            "steps_count": steps,
            "created_at": _at(200 + index),
            "updated_at": _at(200 + index),
        }
        for index, (sequence_id, name, status, steps) in enumerate(specs)
    ]


ENROLLED_POSITIONS = (15, 16)
ACTIVE_ELSEWHERE_POSITIONS = (12, 13, 14)


def _enrollments(contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pairs = [(ACTIVE_SEQUENCE, p) for p in ENROLLED_POSITIONS]
    pairs += [(BERLIN_SEQUENCE, p) for p in ACTIVE_ELSEWHERE_POSITIONS]
    return [
        enrollment_record(sequence_id, contacts[p]["id"], _at(220 + p))
        for sequence_id, p in pairs
    ]


def enrollment_record(sequence_id: str, contact_id: str, when: str) -> dict[str, Any]:
    """One contact enrolled (active) in one sequence."""
    return {
        "id": fixed_id("enrollment", f"{sequence_id}:{contact_id}:{when}"),
        "sequence_id": sequence_id,
        "contact_id": contact_id,
        "status": "active",
        "custom_variables": {},
        "created_at": when,
    }


def _conversation(
    contacts: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    contact_id = contacts[15]["id"]
    conversation = {"id": CONVERSATION, "contact_id": contact_id, "channel": "email"}
    messages = [
        {
            "id": fixed_id("message", "intro"),
            "conversation_id": CONVERSATION,
            "direction": "outbound",
            "channel": "email",
            "subject": "Backend role at Nimbus Robotics",
            "content": "Hello, would you be open to a chat about a backend role?",
            "sent_at": _at(300),
            "read_at": _at(301),
        },
        {
            "id": fixed_id("message", "reply"),
            "conversation_id": CONVERSATION,
            "direction": "inbound",
            "channel": "email",
            "subject": "Re: Backend role at Nimbus Robotics",
            "content": "Happy to talk next week.",
            "sent_at": _at(302),
            "read_at": None,
        },
    ]
    return [conversation], messages


def _deal_pipelines() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    pipelines = [
        {"id": DEAL_PIPELINE, "name": "Client deals"},
        {"id": OTHER_DEAL_PIPELINE, "name": "Retained search"},
    ]
    stages = [
        {
            "id": stage_id,
            "pipeline_id": pipeline_id,
            "name": name,
            "position": position,
            "system_category": None,
        }
        for pipeline_id, named in (
            (DEAL_PIPELINE, DEAL_STAGES),
            (OTHER_DEAL_PIPELINE, OTHER_DEAL_STAGES),
        )
        for position, (name, stage_id) in enumerate(named.items())
    ]
    return pipelines, stages


def _deals(contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    specs = (
        (OPEN_DEAL, "Nimbus Robotics - 3 backend hires", "open", DEAL_PIPELINE,
         DEAL_STAGES["Qualified"], "Nimbus Robotics", 45000.0),
        (WON_DEAL, "Fernwave - data team", "won", DEAL_PIPELINE,
         DEAL_STAGES["Negotiation"], "Fernwave", 30000.0),
        (LOST_DEAL, "Orbital Foods - head of engineering", "lost", OTHER_DEAL_PIPELINE,
         OTHER_DEAL_STAGES["Shortlist"], "Orbital Foods", 25000.0),
    )  # fmt: skip
    return [
        {
            "id": deal_id,
            "title": title,
            "status": status,
            "amount": amount,
            "signed_amount": amount if status == "won" else None,
            "currency": "EUR",
            "expected_close_date": "2025-03-31",
            "probability": 40 if status == "open" else None,
            "pipeline_id": pipeline_id,
            "stage_id": stage_id,
            "company_id": fixed_id("company", company),
            "contact_ids": [contacts[0]["id"]] if status == "open" else [],
            "closed_at": None if status == "open" else _at(400 + index),
            "created_at": _at(350 + index),
            "updated_at": _at(350 + index),
        }
        for index, (
            deal_id,
            title,
            status,
            pipeline_id,
            stage_id,
            company,
            amount,
        ) in enumerate(specs)
    ]


def _position_ids(positions: tuple[int, ...]) -> tuple[str, ...]:
    return tuple(fixed_id("contact", str(p)) for p in positions)


DO_NOT_CONTACT_IDS = _position_ids((10, 21, 32))
ENROLLED_IDS = _position_ids(ENROLLED_POSITIONS)
ACTIVE_ELSEWHERE_IDS = _position_ids(ACTIVE_ELSEWHERE_POSITIONS)
IN_PROJECT_CONTACT_IDS = _position_ids(tuple(range(len(IN_PROJECT_INDEXES))))
NO_EMAIL_CONTACT_IDS = _position_ids(
    tuple(p for p in range(7, CONTACT_COUNT) if p % 3 == 0 or p % 5 == 0)
)
