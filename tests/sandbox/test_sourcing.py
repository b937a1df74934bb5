"""LinkedIn sourcing: geo ids, cursor pages, markers, add to project."""

from __future__ import annotations

from crew.sandbox import seed

SEARCH = "/sourcing/linkedin/search"
PARIS = {seed.PARIS_GEO_ID: "Paris, Île-de-France, France"}


def _search(client, **extra):
    body = {"project_id": seed.MAIN_PROJECT, "account_id": seed.ACTIVE_ACCOUNT}
    body.update(extra)
    return client.post(SEARCH, json=body)


def test_locations_lookup_gives_numeric_geo_ids(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")

    response = client.get(
        "/sourcing/linkedin/locations",
        params={"q": "Paris", "account_id": seed.ACTIVE_ACCOUNT},
    )

    data = response.json()["data"]
    assert data[0] == {"id": "105015875", "title": "Paris, Île-de-France, France"}
    assert [d["title"] for d in data] == [
        "Paris, Île-de-France, France",
        "Greater Paris Metropolitan Region",
    ]


def test_inactive_account_is_refused(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")

    response = _search(client, account_id=seed.INACTIVE_ACCOUNT)

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("account_id: ")
    assert "no active recruiter API" in response.json()["error"]["message"]


def test_plain_text_location_silently_gives_zero_results(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")

    plain = _search(
        client, job_titles=["Backend Engineer"], location_ids={"Paris": "Paris"}
    )
    numeric = _search(client, job_titles=["Backend Engineer"], location_ids=PARIS)

    assert plain.status_code == 200
    assert plain.json()["data"] == {
        "profiles": [],
        "total_count": 0,
        "has_more": False,
        "cursor": None,
    }
    assert numeric.json()["data"]["total_count"] == 30


def test_country_geo_id_covers_its_cities(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")

    france = _search(client, location_ids={"101174742": "France"})
    paris = _search(client, location_ids=PARIS)

    assert france.json()["data"]["total_count"] > paris.json()["data"]["total_count"]


def test_cursor_pages_through_every_match_once(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")
    body = {
        "job_titles": ["Software Engineer", "Backend Engineer"],
        "location_ids": PARIS,
        "page_size": 25,
    }
    seen, cursor, pages = [], None, 0

    while True:
        extra = dict(body, cursor=cursor) if cursor else body
        data = _search(client, **extra).json()["data"]
        seen += [p["profile_id"] for p in data["profiles"]]
        pages += 1
        if not data["has_more"]:
            assert data["cursor"] is None
            break
        cursor = data["cursor"]

    total = data["total_count"]
    assert total >= 60
    assert len(seen) == len(set(seen)) == total
    assert pages == -(-total // 25)


def test_a_forged_cursor_is_a_validation_error(sandbox):
    response = _search(sandbox.client(), cursor="not-a-cursor")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "cursor: not a cursor returned by this search"
    )


def test_results_mark_profiles_in_project_and_existing_contacts(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")

    profiles = _search(client, location_ids=PARIS, page_size=10).json()["data"][
        "profiles"
    ]

    in_project = [i for i, p in enumerate(profiles) if p["already_in_project"]]
    existing = [i for i, p in enumerate(profiles) if p["existing_contact_id"]]
    nameless = [i for i, p in enumerate(profiles) if p["first_name"] is None]
    assert in_project == list(seed.IN_PROJECT_INDEXES)
    assert existing == [
        *seed.IN_PROJECT_INDEXES,
        *seed.DUPLICATE_URL_INDEXES,
        *seed.DUPLICATE_EMAIL_INDEXES,
    ]
    assert nameless == [4]


def _add(client, profiles, **extra):
    body = {"project_id": seed.MAIN_PROJECT, "profiles": profiles}
    body.update(extra)
    return client.post("/sourcing/add-to-project", json=body)


def test_add_to_project_resolves_null_names_with_an_account(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")
    profiles = _search(client, location_ids=PARIS, page_size=12).json()["data"][
        "profiles"
    ]
    nameless = [p for p in profiles if p["first_name"] is None]

    response = _add(
        client, nameless, resolve_names=True, account_id=seed.ACTIVE_ACCOUNT
    )

    data = response.json()["data"]
    assert (data["added"], data["created"], data["names_resolved"]) == (2, 2, 2)
    created = {r["id"]: r for r in sandbox.rows("contacts")}
    names = [created[i]["first_name"] for i in data["contact_ids"]]
    assert "Unknown" not in names
    assert all(names)


def test_add_to_project_without_resolve_names_creates_unknown(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")
    profiles = _search(client, location_ids=PARIS, page_size=12).json()["data"][
        "profiles"
    ]
    nameless = [p for p in profiles if p["first_name"] is None]

    data = _add(client, nameless).json()["data"]

    created = {r["id"]: r for r in sandbox.rows("contacts")}
    assert [created[i]["first_name"] for i in data["contact_ids"]] == [
        "Unknown",
        "Unknown",
    ]
    assert data["names_resolved"] == 0


def test_add_to_project_reuses_contacts_and_skips_those_in_project(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")
    profiles = _search(client, location_ids=PARIS, page_size=10).json()["data"][
        "profiles"
    ]
    picked = [profiles[i] for i in (0, 1, 5, 6, 7, 8, 9)]

    data = _add(client, picked).json()["data"]

    assert {k: v for k, v in data.items() if k != "contact_ids"} == {
        "added": 5,
        "created": 1,
        "matched_existing": 4,
        "skipped_already_in_project": 2,
        "names_resolved": 0,
    }
    assert sandbox.state()["tables"]["contacts"] == seed.CONTACT_COUNT + 1
    assert data["contact_ids"][:4] == [
        profiles[i]["existing_contact_id"] for i in (5, 6, 7, 8)
    ]


def test_add_to_project_twice_adds_nothing_the_second_time(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")
    profiles = _search(client, location_ids=PARIS, page_size=20).json()["data"][
        "profiles"
    ]

    first = _add(client, profiles).json()["data"]
    second = _add(client, profiles).json()["data"]

    assert first["added"] == 17
    assert second["added"] == 0
    assert second["skipped_already_in_project"] == 20
    entries = [
        e
        for e in sandbox.rows("pipeline_entries")
        if e["project_id"] == seed.MAIN_PROJECT
    ]
    assert len(entries) == 20


def test_resolve_names_needs_an_account(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")

    response = _add(client, [{"profile_id": "x"}], resolve_names=True)

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "account_id: is required when resolve_names is true"
    )


def test_add_to_project_takes_at_most_100_profiles(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")

    response = _add(client, [{"profile_id": str(i)} for i in range(101)])

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "profiles: must hold at most 100 items"
    )


def test_search_candidates_on_linkedin_ignores_plain_text_places(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")
    body = {
        "project_id": seed.MAIN_PROJECT,
        "source_type": "linkedin",
        "account_id": seed.ACTIVE_ACCOUNT,
        "page": 1,
        "page_size": 10,
        "filters": {"locations": {"cities": ["Paris"]}},
    }

    plain = client.post("/sourcing/search", json=body).json()["data"]
    body["filters"] = {"linkedin_filters": {"location_ids": PARIS}}
    numeric = client.post("/sourcing/search", json=body).json()["data"]

    assert plain["total_count"] == 0
    assert numeric["total_count"] > 10
    assert numeric["next_page"] == 2


def test_people_database_rejects_a_query_starting_with_and(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")

    bad = client.post("/sourcing/database/search", json={"boolean_query": "AND Python"})
    good = client.post(
        "/sourcing/database/search",
        json={"boolean_query": '("backend engineer" OR golang) AND NOT java'},
    )

    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == (
        "boolean_query: has AND where a term is expected"
    )
    assert good.status_code == 200
    assert good.json()["data"]["total_count"] > 0
