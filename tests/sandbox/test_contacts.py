"""Contacts over HTTP: creation rules, search filters, list paging."""

from __future__ import annotations

from crew.sandbox import seed


def test_create_contact_rejects_an_invalid_email(sandbox):
    client = sandbox.client("LEONAR_ADMIN_API_KEY")

    response = client.post("/contacts", json={"first_name": "Ada", "email": "ada@"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "email: invalid email format"
    assert sandbox.state()["tables"]["contacts"] == seed.CONTACT_COUNT


def test_create_contact_reports_every_problem_at_once(sandbox):
    client = sandbox.client()

    response = client.post("/contacts", json={"email": "x", "global_status": "nope"})

    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["error"]["details"]["errors"]}
    assert fields == {"email", "first_name", "global_status"}


def test_create_contact_stores_the_contact_with_its_email(sandbox):
    client = sandbox.client()

    response = client.post(
        "/contacts",
        json={"first_name": "Ada", "last_name": "Lovelace", "email": "ada@calc.org"},
    )

    assert response.status_code == 201
    contact = response.json()["data"]
    assert contact["emails"] == [{"email": "ada@calc.org", "type": "work"}]
    stored = [r for r in sandbox.rows("contacts") if r["id"] == contact["id"]]
    assert stored[0]["first_name"] == "Ada"


def test_search_contacts_by_email_is_case_insensitive(sandbox):
    client = sandbox.client()
    target = sandbox.rows("contacts")[0]
    email = target["emails"][0]["email"]

    response = client.post("/contacts/search", json={"email": email.upper()})

    assert [c["id"] for c in response.json()["data"]] == [target["id"]]


def test_search_contacts_by_linkedin_url_accepts_url_or_slug(sandbox):
    client = sandbox.client()
    target = sandbox.rows("contacts")[3]
    url = target["linkedin_profile"]
    slug = url.rsplit("/in/", 1)[1]

    by_url = client.post("/contacts/search", json={"linkedin_url": url + "/"})
    by_slug = client.post("/contacts/search", json={"linkedin_url": slug})

    assert [c["id"] for c in by_url.json()["data"]] == [target["id"]]
    assert [c["id"] for c in by_slug.json()["data"]] == [target["id"]]


def test_search_contacts_in_a_project(sandbox):
    client = sandbox.client()

    response = client.post("/contacts/search", json={"project_id": seed.MAIN_PROJECT})

    ids = {c["id"] for c in response.json()["data"]}
    assert ids == set(seed.IN_PROJECT_CONTACT_IDS)


def test_search_contacts_without_email(sandbox):
    client = sandbox.client()

    response = client.post("/contacts/search", json={"has_email": False, "limit": 100})

    ids = {c["id"] for c in response.json()["data"]}
    assert ids == set(seed.NO_EMAIL_CONTACT_IDS)
    assert response.json()["meta"]["total"] == len(seed.NO_EMAIL_CONTACT_IDS)


def test_list_contacts_pages_with_limit_offset_and_meta(sandbox):
    client = sandbox.client()

    first = client.get("/contacts", params={"limit": 20}).json()
    last = client.get("/contacts", params={"limit": 20, "offset": 40}).json()

    assert first["meta"] == {"total": 48, "limit": 20, "offset": 0, "has_more": True}
    assert last["meta"] == {"total": 48, "limit": 20, "offset": 40, "has_more": False}
    assert len(last["data"]) == 8
    created = [c["created_at"] for c in first["data"]]
    assert created == sorted(created, reverse=True)


def test_list_contacts_defaults_to_fifty_and_rejects_a_limit_over_100(sandbox):
    client = sandbox.client()

    default = client.get("/contacts").json()
    too_many = client.get("/contacts", params={"limit": 101})

    assert default["meta"]["limit"] == 50
    assert too_many.status_code == 400
    assert too_many.json()["error"]["message"] == "limit: must be at most 100"


def test_list_contacts_rejects_a_non_numeric_offset(sandbox):
    response = sandbox.client().get("/contacts", params={"offset": "two"})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "offset: must be an integer"


def test_get_contact_unknown_id_is_not_found(sandbox):
    missing = "00000000-0000-4000-8000-000000000000"

    response = sandbox.client().get(f"/contacts/{missing}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_update_contact_changes_only_the_fields_sent(sandbox):
    client = sandbox.client()
    before = client.get(f"/contacts/{seed.IN_PROJECT_CONTACT_IDS[0]}").json()["data"]

    after = client.put(
        f"/contacts/{before['id']}", json={"title": "Staff Engineer"}
    ).json()["data"]

    assert after["title"] == "Staff Engineer"
    assert after["emails"] == before["emails"]
    assert after["first_name"] == before["first_name"]


def test_add_contact_tag_and_note(sandbox):
    client = sandbox.client()
    contact_id = seed.IN_PROJECT_CONTACT_IDS[0]
    tag = client.post("/tags", json={"name": "Shortlist", "color": "#AA00FF"})

    tagged = client.post(
        f"/contacts/{contact_id}/tags", json={"tag_id": tag.json()["data"]["id"]}
    )
    note = client.post(f"/contacts/{contact_id}/notes", json={"content": "Strong Go"})

    assert tagged.json()["data"]["tags"] == ["Shortlist"]
    assert note.status_code == 201
    assert [n["content"] for n in sandbox.rows("notes")] == ["Strong Go"]
