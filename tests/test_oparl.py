"""The OParl 1.1 interface (/oparl/v1/, issue 15 item 5) and öffentliche / nicht öffentliche TOPs
(item 3) as OParl, the portal's pages, print view, search and Anlagen show them.

Every response is validated against the official OParl 1.1 schemas vendored in tests/oparl_schema/
(source and licence there). A crawl starts at System and follows every list and object URL it
meets, anonymously and with a member's token."""
from __future__ import annotations

import json
import re
from collections import deque
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from sqlalchemy import select

from portal.ag.models import AgendaItem, Meeting, MinutesStatus
from portal.auth import services as auth_services
from portal.auth.models import ApiToken
from portal.extensions import db
from tests.conftest import get_user
from tests.factories.ag import (GO_DECISION, build_ag, make_attachment, make_decision, make_item, make_meeting, make_person,
                                add_member, meeting)

BASE = "http://localhost/oparl/v1/"
SCHEMAS = Path(__file__).parent / "oparl_schema"
CLOSED_TITLE = "Vertragsverhandlung mit dem Träger X"
CLOSED_MINUTES = "Die Entgelte werden vertraulich verhandelt."
CLOSED_DECISION = "Der Vertragsentwurf wird vertraulich weiterverhandelt."
CLOSED_FILE = "Vertragsentwurf-vertraulich.pdf"
OPEN_FILE = "Bericht-oeffentlich.pdf"
WHOLE_FILE = "Anwesenheitsliste.pdf"


def _registry() -> tuple[Registry, dict[str, dict]]:
    schemas = {}
    registry = Registry()
    for path in sorted(SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text())
        schemas[schema["$id"]] = schema
        resource = Resource.from_contents(schema)
        # the schemas refer to each other as "Location.json" relative to their $id
        registry = registry.with_resources([(schema["$id"], resource),
                                            (schema["$id"] + ".json", resource)])
    return registry, schemas


REGISTRY, SCHEMA_BY_TYPE = _registry()


def validate(obj: dict) -> None:
    """Against the schema of its type; created/modified must be real ISO 8601 timestamps."""
    schema = SCHEMA_BY_TYPE[obj["type"]]
    errors = sorted(Draft7Validator(schema, registry=REGISTRY).iter_errors(obj), key=str)
    assert not errors, f"{obj['id']}: {[e.message for e in errors]}"
    if obj["type"] != "https://schema.oparl.org/1.1/System" or "created" in obj:
        for key in ("created", "modified"):
            assert datetime.fromisoformat(obj[key]).tzinfo is not None, (obj["id"], key)
        assert obj["deleted"] is False


def validate_embedded(obj: dict) -> None:
    """Embedded objects (Meeting.agendaItem, Person.membership, File, Location) validate too."""
    validate(obj)
    for value in obj.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and "type" in item:
                validate_embedded(item)


def urls_in(value) -> set[str]:
    """OParl URLs (lists and objects) anywhere in a response, without the file downloads."""
    found = set()
    if isinstance(value, dict):
        for v in value.values():
            found |= urls_in(v)
    elif isinstance(value, list):
        for v in value:
            found |= urls_in(v)
    elif isinstance(value, str) and value.startswith(BASE) and not value.endswith("/download"):
        found.add(value)
    return found


def crawl(client, headers=None) -> dict[str, dict]:
    """Fetch System and everything reachable from it; every response 200, JSON, valid."""
    seen: dict[str, dict] = {}
    queue = deque([BASE])
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Set-Cookie" not in response.headers, url  # stateless
        data = response.get_json()
        seen[url] = data
        if "data" in data and "pagination" in data:
            for obj in data["data"]:
                validate_embedded(obj)
            assert set(data["links"]) >= {"first"}
        else:
            validate_embedded(data)
        assert len(seen) < 2000, "the crawl does not end"
        queue.extend(urls_in(data) - set(seen))
    return seen


def objects_of(pages: dict[str, dict], kind: str) -> list[dict]:
    out = []

    def walk(value):
        if isinstance(value, dict):
            if value.get("type") == "https://schema.oparl.org/1.1/" + kind:
                out.append(value)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(list(pages.values()))
    return out


@pytest.fixture
def ag(app):
    """The AG of tests/test_ag.py plus, in its published 2nd meeting, a nicht öffentlicher TOP with
    minutes, a decision and an Anlage, an Anlage of an öffentlicher TOP and one of the whole meeting."""
    ag = build_ag(app)
    with app.app_context():
        second = meeting(ag, 2)
        closed = make_item(second, CLOSED_TITLE, minutes=CLOSED_MINUTES, public=False)
        make_decision(closed, CLOSED_DECISION, yes=4, no=0, abstain=1)
        make_attachment(second, closed, CLOSED_FILE)
        make_attachment(second, second.agenda[0], OPEN_FILE)
        make_attachment(second, None, WHOLE_FILE)
        db.session.commit()
    return ag


def token_for(app, role: str, name: str = "Test-Client") -> str:
    with app.app_context():
        token, _ = auth_services.create_api_token(get_user(role), name)
        db.session.commit()
    return token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- the crawl --------------------------------------------------------------------------------------

def test_anonymous_crawl_resolves_validates_and_shows_only_public_content(app, client, ag):
    pages = crawl(client)
    text = json.dumps(pages, ensure_ascii=False)
    types = {o["type"].rsplit("/", 1)[1] for o in objects_of(pages, "System") + [
        o for kind in ("Body", "Organization", "Person", "Membership", "Meeting", "AgendaItem", "File", "Location")
        for o in objects_of(pages, kind)]}
    assert types >= {"System", "Body", "Organization", "Person", "Membership", "Meeting", "AgendaItem", "File",
                     "Location"}
    # every object reached by its own URL as well
    for kind in ("Organization", "Person", "Membership", "Meeting", "AgendaItem", "File", "Location"):
        for obj in objects_of(pages, kind):
            assert obj["id"] in pages, obj["id"]
    # no nicht öffentliche content, no unpublished minutes, no e-mail address, no attendance list
    for secret in (CLOSED_TITLE, CLOSED_MINUTES, CLOSED_DECISION, CLOSED_FILE, WHOLE_FILE):
        assert secret not in text
    assert OPEN_FILE in text
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
    assert all(item["public"] is True for item in objects_of(pages, "AgendaItem"))
    assert not any("participant" in m for m in objects_of(pages, "Meeting"))
    with app.app_context():
        closed = db.session.scalars(select(AgendaItem.title).where(AgendaItem.public.is_(False))).all()
        drafts = set(db.session.scalars(select(Meeting.id).where(Meeting.minutes_status == MinutesStatus.ENTWURF)))
        names = [get_user(r).display_name for r in ("protokoll", "ag_mitglied")]
    assert closed and not any(title in text for title in closed)  # the demo's N TOPs too
    seen_meetings = {int(m["id"].rstrip("/").rsplit("/", 1)[1]) for m in objects_of(pages, "Meeting")}
    assert seen_meetings and not seen_meetings & drafts
    assert ag.meetings[3] not in seen_meetings
    # persons by function and Träger only
    assert not any(name in text for name in names)
    assert any(p["name"].startswith("Protokollführung, AG Prüf") for p in objects_of(pages, "Person"))


def test_a_members_token_sees_what_the_member_sees_in_the_portal(app, client, ag):
    pages = crawl(client, bearer(token_for(app, "ag_mitglied")))
    text = json.dumps(pages, ensure_ascii=False)
    for secret in (CLOSED_TITLE, CLOSED_DECISION, CLOSED_FILE, WHOLE_FILE, OPEN_FILE):
        assert secret in text
    seen = {m["id"]: m for m in objects_of(pages, "Meeting")}
    third = f"{BASE}meeting/{ag.meetings[3]}"
    assert third in seen  # the member sees the planned meeting with its agenda, as in the portal
    closed = [i for i in objects_of(pages, "AgendaItem") if i["name"] == CLOSED_TITLE]
    assert closed and closed[0]["public"] is False and "Enthaltung" in closed[0]["result"]
    with app.app_context():
        member = get_user("ag_mitglied").display_name
    assert member in text
    assert any("participant" in m for m in seen.values())


def test_the_leitung_sees_the_ag_but_not_its_nicht_oeffentliche_tops(app, client, ag):
    pages = crawl(client, bearer(token_for(app, "leitung")))
    text = json.dumps(pages, ensure_ascii=False)
    assert f"{BASE}meeting/{ag.meetings[3]}" in pages  # sees the AG like in the portal
    assert OPEN_FILE in text and WHOLE_FILE in text
    for secret in (CLOSED_TITLE, CLOSED_DECISION, CLOSED_FILE):
        assert secret not in text


# --- stateless, CORS, content type -------------------------------------------------------------------

def test_anonymous_access_is_stateless_and_a_session_cookie_grants_nothing(app, client_as, ag):
    anonymous = client_as("anonymous")
    response = anonymous.get("/oparl/v1/")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert response.get_json()["type"] == "https://schema.oparl.org/1.1/System"
    # signed in in the browser: the interface ignores the session cookie (no CSRF/credential confusion)
    member = client_as("ag_mitglied")
    response = member.get(f"/oparl/v1/meeting/{ag.meetings[2]}")
    assert "Set-Cookie" not in response.headers
    assert CLOSED_TITLE not in response.get_data(as_text=True)
    assert member.get(f"/oparl/v1/meeting/{ag.meetings[3]}").status_code == 404


def test_preflight_allows_the_authorization_header(client):
    response = client.options("/oparl/v1/body/1/meeting", headers={
        "Origin": "https://ratsinfo.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def test_etag_and_last_modified_give_304(client, ag):
    url = f"/oparl/v1/meeting/{ag.meetings[2]}"
    first = client.get(url)
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    listing = client.get("/oparl/v1/body/1/meeting")
    assert client.get("/oparl/v1/body/1/meeting", headers={"If-None-Match": listing.headers["ETag"]}).status_code == 304


# --- tokens --------------------------------------------------------------------------------------------

def test_tokens_are_made_under_mein_konto_stored_hashed_and_revoked(app, client_as, ag):
    client = client_as("ag_mitglied")
    page = client.get("/account/api-tokens")
    assert page.status_code == 200 and "Du hast noch keinen API-Zugang." in page.get_data(as_text=True)
    response = client.post("/account/api-tokens", data={"name": "Ratsinfo-App"})
    html = response.get_data(as_text=True)
    token = re.search(r'id="api-token"[^>]*value="([^"]+)"', html).group(1)
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.name == "Ratsinfo-App" and row.token_hash != token and token not in row.token_hash
        token_id = row.id
    assert "Ratsinfo-App" in client.get("/account/api-tokens").get_data(as_text=True)
    assert token not in client.get("/account/api-tokens").get_data(as_text=True)  # shown once only

    anonymous = client_as("anonymous")
    assert anonymous.get(f"/oparl/v1/meeting/{ag.meetings[3]}", headers=bearer(token)).status_code == 200
    # someone else cannot revoke it
    assert client_as("protokoll").post(f"/account/api-tokens/{token_id}/revoke").status_code == 403
    assert client.post(f"/account/api-tokens/{token_id}/revoke").status_code == 303
    refused = anonymous.get(f"/oparl/v1/meeting/{ag.meetings[3]}", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.headers["Content-Type"] == "application/json; charset=utf-8"
    assert refused.get_json()["error"]["code"] == 401 and "WWW-Authenticate" in refused.headers


def test_a_deactivated_persons_token_stops_working(app, client, ag):
    token = token_for(app, "ag_mitglied")
    with app.app_context():
        get_user("ag_mitglied").active = False
        db.session.commit()
    assert client.get("/oparl/v1/", headers=bearer(token)).status_code == 401
    assert client.get("/oparl/v1/", headers={"Authorization": "Basic eDp5"}).status_code == 401


# --- parameters ------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "modified_since=garbage", "created_since=2026-13-45", "modified_until=99999-01-01",
    "nach=99999999999999999999", "nach=-1", "nach=abc", "limit=0", "limit=1000", "limit=x",
    "modified_since=0001-01-01T00:00:00",
])
@pytest.mark.parametrize("path", ["meeting", "agendaItem", "person", "organization", "file", "paper",
                                  "membership", "location"])
def test_bad_parameters_are_a_400_in_json_never_a_500(client, path, query):
    response = client.get(f"/oparl/v1/body/1/{path}?{query}")
    assert response.status_code == 400, (path, query, response.status_code)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.get_json()["error"]["code"] == 400


def test_unknown_objects_are_a_404_in_json(client, ag):
    for url in ("/oparl/v1/meeting/999999", "/oparl/v1/organization/ag-x", "/oparl/v1/body/2",
                "/oparl/v1/nothing-here", f"/oparl/v1/agendaItem/{2**40}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.get_json()["error"]["code"] == 404


def test_modified_and_created_filters(app, client, ag):
    future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    past = "2000-01-01T00:00:00+00:00"
    everything = client.get("/oparl/v1/body/1/meeting", query_string={"modified_since": past}).get_json()
    assert everything["data"]
    assert client.get("/oparl/v1/body/1/meeting", query_string={"modified_since": future}).get_json()["data"] == []
    assert client.get("/oparl/v1/body/1/meeting", query_string={"created_until": past}).get_json()["data"] == []
    # a change to one TOP makes its meeting (and only that one) modified again
    stamp = datetime.now(timezone.utc)
    with app.app_context():
        item = db.session.get(AgendaItem, ag.first_item(2))
        item.title = "Bericht aus dem JHA (geändert)"
        db.session.commit()
    changed = client.get("/oparl/v1/body/1/meeting",
                         query_string={"modified_since": stamp.isoformat()}).get_json()
    assert [m["id"] for m in changed["data"]] == [f"{BASE}meeting/{ag.meetings[2]}"]
    items = client.get("/oparl/v1/body/1/agendaItem",
                       query_string={"modified_since": stamp.isoformat()}).get_json()
    assert [i["name"] for i in items["data"]] == ["Bericht aus dem JHA (geändert)"]


def test_lists_page_with_next_links_to_the_end(client, ag):
    first = client.get("/oparl/v1/body/1/person?limit=2").get_json()
    assert len(first["data"]) == 2 and first["pagination"]["elementsPerPage"] == 2
    total = first["pagination"]["totalElements"]
    ids, page = [], first
    while True:
        ids += [p["id"] for p in page["data"]]
        if "next" not in page["links"]:
            break
        page = client.get(page["links"]["next"]).get_json()
    assert len(ids) == len(set(ids)) == total


def test_paper_list_is_empty_and_the_old_export_leads_to_the_system(client_as, ag):
    client = client_as("ag_mitglied")
    assert client.get("/oparl/v1/body/1/paper").get_json()["data"] == []
    response = client.get(f"{ag.base}/oparl.json")
    assert response.status_code == 301 and response.headers["Location"].endswith("/oparl/v1/")


def test_files_download_only_where_the_file_object_is_visible(app, client, ag):
    pages = crawl(client)
    files = {f["name"]: f for f in objects_of(pages, "File")}
    download = client.get(files[OPEN_FILE]["downloadUrl"])
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    with app.app_context():
        from portal.ag.models import MeetingAttachment
        closed = db.session.scalar(select(MeetingAttachment.id).where(MeetingAttachment.original_name == CLOSED_FILE))
    assert client.get(f"/oparl/v1/file/{closed}").status_code == 404
    assert client.get(f"/oparl/v1/file/{closed}/download").status_code == 404
    assert client.get(f"/oparl/v1/file/{closed}/download", headers=bearer(token_for(app, "ag_mitglied"))).status_code == 200


# --- query counts ------------------------------------------------------------------------------------

LISTS = ["meeting", "agendaItem", "person", "organization", "file", "membership", "location"]


@pytest.mark.parametrize("path", LISTS)
def test_list_endpoints_run_a_fixed_number_of_queries(app, client, count_queries, ag, path):
    token = token_for(app, "ag_mitglied")
    url = f"/oparl/v1/body/1/{path}?limit=100"
    client.get(url, headers=bearer(token))
    with count_queries() as small:
        assert client.get(url, headers=bearer(token)).status_code == 200
    with app.app_context():
        group = db.session.get(__import__("portal.ag.models", fromlist=["WorkingGroup"]).WorkingGroup, ag.group_id)
        for n in range(6):
            m = make_meeting(group, 50 + n, minutes_status=MinutesStatus.VEROEFFENTLICHT)
            for k in range(3):
                item = make_item(m, f"TOP {k}", public=k != 1)
                make_decision(item)
                make_attachment(m, item)
            add_member(group, make_person(f"Person {n}"))
        db.session.commit()
    with count_queries() as large:
        assert client.get(url, headers=bearer(token)).status_code == 200
    assert large.count == small.count, (path, small.statements, large.statements)


# --- what the objects say ------------------------------------------------------------------------------

def test_objects_carry_what_the_portal_knows(app, client, ag):
    token = token_for(app, "ag_mitglied")
    get = lambda url: client.get(url, headers=bearer(token)).get_json()  # noqa: E731
    schema = "https://schema.oparl.org/1.1/"
    system = get("/oparl/v1/")
    assert system["oparlVersion"] == schema and system["body"] == f"{BASE}bodies"
    body = get("/oparl/v1/bodies")["data"][0]
    assert body["organization"] == f"{BASE}body/1/organization" and body["legislativeTerm"] == []
    org = get(f"/oparl/v1/organization/ag-{ag.group_id}")
    assert org["organizationType"] == "Gremium" and org["name"] == "AG Prüf – Arbeitsgemeinschaft für Tests"
    assert len(org["membership"]) == 7 and org["votingMemberCount"] == 6
    assert org["meeting"] == f"{BASE}organization/ag-{ag.group_id}/meeting"
    meetings = get(org["meeting"])["data"]
    assert [m["name"] for m in meetings] == ["AG Prüf – 1. Sitzung", "AG Prüf – 2. Sitzung", "AG Prüf – 3. Sitzung"]
    first = meetings[0]
    assert first["start"] == "2026-01-27T09:00:00+01:00" and first["end"] == "2026-01-27T12:00:00+01:00"
    assert first["location"]["description"] == "Rathaus, Raum 1" and first["organization"] == [org["id"]]
    top2 = first["agendaItem"][1]
    assert top2["number"] == "2" and top2["name"] == "Geschäftsordnung" and top2["public"] is True
    assert top2["result"].startswith("angenommen (6 Ja") and top2["resolutionText"] == GO_DECISION
    # Membership: the represented Träger is an Organization (Institution) of its own
    with app.app_context():
        member = get_user("ag_mitglied")
        name, person_id = member.display_name, member.id
    person = get(f"/oparl/v1/person/{person_id}")
    assert person["name"] == name and "email" not in person
    [membership] = [m for m in person["membership"] if m["organization"] == org["id"]]
    awo = get(membership["onBehalfOf"])
    assert awo["organizationType"] == "Institution" and awo["shortName"] == "AWO"
    assert membership["votingRight"] is True and get(membership["id"]) == membership
    # the draft minutes of the 3rd meeting: agenda yes, no result
    third = meetings[2]
    assert third["agendaItem"] and not any("result" in i for i in third["agendaItem"])
