#!/usr/bin/env python3
"""End to end through a client generated from openapi/openapi.json.

`.ci/clients` generates the client with openapi-python-client into
target/ci-tools/python-client/safeguarding_api_client (never committed) and
runs this against a live service. It uses ONLY the generated client: its
models, its `api` functions and its AuthenticatedClient. A call the generated
client cannot make, or an answer it cannot read, is a defect of the document
(the wire is the contract the README and openapi/openapi.json describe): it is reported with the step,
the exception and the last exchange, never worked around with raw HTTP. The
one exception is the Markdown rendering of the minutes (one operation, several
media types: the generated parser reads every 200 as JSON), fetched with the
generated client's own request arguments and its httpx client.

What it does: a platform-admin API client (made by `safeguarding-api clients
create`, id and secret given in the environment) trades its credentials for a
token at POST /v1/oauth/token; then the Herefordshire Safeguarding Partners
Board of 18 November 2019 (demo/herefordshire-spb-2019-11-18.json) is built
under a NEW partnership with a unique slug: organisations (a shared registry:
reused by exact name, as `demo` loaded them), members, people, groups, the
meeting, its attendees (plus a deputy: the seed has none), agenda items and
decisions; the actions agreed under each item (owners by initials, "ALL"
and a group), an update that completes one, the log filtered by owner, the
matters arising of the next board; a PATCH with If-Match; metrics and a quarter's submission (with
Idempotency-Key replay, resubmission and dry run); then the minutes are read
back as JSON and as Markdown and checked for real content. Every request body
sent is also checked against the document's schema (the generated client
checks no pattern or length): real data the service takes must satisfy it.

    BASE_URL=http://127.0.0.1:8080 E2E_CLIENT_ID=... E2E_CLIENT_SECRET=... \
      target/ci-tools/venv/bin/python tests/contract/python_client_e2e.py \
      --client-dir target/ci-tools/python-client --spec openapi/openapi.json

Exit status 0 when every step passed; the last line is "N passed, N failed".
"""

from __future__ import annotations

import argparse
import io
import datetime as dt
import json
import os
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "safeguarding_api_client"


class Failure(Exception):
    """A check that did not hold."""


class Exchange:
    """The last request and answer, recorded by httpx event hooks, so that a
    failure inside the generated client (a model that cannot read the answer)
    can show what was on the wire."""

    def __init__(self) -> None:
        self.request: Any = None
        self.response: Any = None

    def on_request(self, request: Any) -> None:
        self.request = request
        self.response = None

    def on_response(self, response: Any) -> None:
        response.read()
        self.response = response

    def describe(self) -> str:
        if self.request is None:
            return "no request was sent (the generated client failed before sending)"
        line = f"{self.request.method} {self.request.url}"
        body = self.request.content[:400] if self.request.content else b""
        if body:
            line += f"\n      request body: {body.decode(errors='replace')}"
        if self.response is None:
            return line + "\n      no answer"
        ctype = self.response.headers.get("content-type", "")
        return f"{line}\n      answer: {self.response.status_code} {ctype}\n      {self.response.text[:600]}"


class Runner:
    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.passed: list[str] = []
        self.failed: list[tuple[str, str]] = []

    def step(self, name: str, fn: Callable[[], Any], critical: bool = True) -> Any:
        """Run one step; a critical step that fails stops the run (what
        follows depends on it)."""
        self.exchange.request = self.exchange.response = None
        started = time.monotonic()
        try:
            result = fn()
        except Exception as error:  # noqa: BLE001 - every failure is reported
            ms = (time.monotonic() - started) * 1000
            kind = classify(error, self.exchange)
            where = "".join(traceback.format_exception(error)[-3:]).rstrip()
            report = (
                f"{type(error).__name__}: {error}\n    kind: {kind}\n"
                f"    last exchange: {self.exchange.describe()}\n    at: {where}"
            )
            self.failed.append((name, report))
            print(f"FAIL {name} ({ms:.0f} ms)\n    {report}", flush=True)
            if critical:
                raise Stop() from error
            return None
        ms = (time.monotonic() - started) * 1000
        self.passed.append(name)
        print(f"ok   {name} ({ms:.0f} ms)", flush=True)
        return result


class Stop(Exception):
    pass


def classify(error: Exception, exchange: Exchange) -> str:
    if isinstance(error, Failure):
        return "check failed: the wire did not do what DESIGN.md/README say"
    frames = traceback.extract_tb(error.__traceback__)
    in_generated = any(f"/{PACKAGE}/" in frame.filename for frame in frames)
    by_enum = any(frame.filename.endswith("enum.py") for frame in frames)
    if not in_generated and not by_enum:
        return "error in this script (not the client, not the wire)"
    if not in_generated:
        return "spec defect: a generated enum has no member for the wire's spelling, so the request cannot be made"
    status = exchange.response.status_code if exchange.response is not None else None
    if type(error).__name__ == "UnexpectedStatus":
        return "spec defect or service bug: an answer status the document does not list"
    if status is not None and 200 <= status < 300:
        return "spec defect: the generated models cannot read the service's answer"
    return "unexpected failure inside the generated client"


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failure(message)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default=os.environ.get("BASE_URL"))
    parser.add_argument("--client-id", default=os.environ.get("E2E_CLIENT_ID"))
    parser.add_argument("--client-secret", default=os.environ.get("E2E_CLIENT_SECRET"))
    parser.add_argument(
        "--client-dir",
        default=str(REPO / "target/ci-tools/python-client"),
        help=f"directory holding the generated package {PACKAGE}",
    )
    parser.add_argument("--seed", default=str(REPO / "demo/herefordshire-spb-2019-11-18.json"))
    parser.add_argument(
        "--spec",
        default=str(REPO / "openapi/openapi.json"),
        help="the document the client was generated from: every request body sent is checked against its schema",
    )
    args = parser.parse_args()
    for name in ("base_url", "client_id", "client_secret"):
        if not getattr(args, name):
            parser.error(f"--{name.replace('_', '-')} (or its environment variable) is required")

    sys.path.insert(0, args.client_dir)
    exchange = Exchange()
    runner = Runner(exchange)
    try:
        Scenario(args, exchange, runner).run()
    except Stop:
        print("stopped: the steps after a failed critical step depend on it", flush=True)
    print()
    for name, report in runner.failed:
        print(f"failed: {name}\n    {report.splitlines()[0]}")
    print(f"python client e2e: {len(runner.passed)} passed, {len(runner.failed)} failed")
    return 1 if runner.failed else 0


class Scenario:
    def __init__(self, args: argparse.Namespace, exchange: Exchange, runner: Runner) -> None:
        self.args = args
        self.exchange = exchange
        self.runner = runner
        self.seed = json.loads(Path(args.seed).read_text())
        self.suffix = uuid.uuid4().hex[:8]
        self.hooks = {"request": [exchange.on_request], "response": [exchange.on_response]}
        self.components = json.loads(Path(args.spec).read_text())["components"]
        self.validators: dict[str, Any] = {}
        self.body_violations: list[str] = []
        self.bodies_checked = 0

    # -- helpers ---------------------------------------------------------

    def call(self, operation: Any, expected: int, /, **kwargs: Any) -> Any:
        """One generated operation through its sync_detailed; the answer must
        have the `expected` status and parse into the documented model (not a
        Problem)."""
        name = operation.__name__.rsplit(".", 1)[-1]
        if "body" in kwargs:
            self.check_body(name, kwargs["body"])
        response = operation.sync_detailed(client=self.api, **kwargs)
        if response.status_code != expected:
            raise Failure(
                f"{name}: HTTP {int(response.status_code)}, expected {expected}: "
                f"{response.content[:500].decode(errors='replace')}"
            )
        if expected != 204 and (response.parsed is None or type(response.parsed).__name__ == "Problem"):
            raise Failure(f"{name}: answer not parsed as the documented model: {response.parsed!r}")
        return response

    def step(self, name: str, fn: Callable[[], Any], critical: bool = True) -> Any:
        return self.runner.step(name, fn, critical)

    def check_body(self, operation: str, body: Any) -> None:
        """The generated client checks no constraint (pattern, maxLength...)
        before sending; a validating client would. Real data from the seed
        that the document's schema refuses, while the service takes it, is a
        spec defect: recorded, and reported by the last step."""
        import jsonschema_rs

        schema = type(body).__name__
        if schema == "File":
            return  # a file's bytes (a CSV submission): no JSON schema to hold them to
        if schema not in self.components.get("schemas", {}):
            self.body_violations.append(f"{operation}: no schema named {schema} in the document")
            return
        if schema not in self.validators:
            self.validators[schema] = jsonschema_rs.Draft202012Validator(
                {"$ref": f"#/components/schemas/{schema}", "components": self.components}
            )
        self.bodies_checked += 1
        for error in self.validators[schema].iter_errors(body.to_dict()):
            where = "/".join(str(part) for part in error.instance_path) or "(body)"
            self.body_violations.append(f"{operation} {schema} at {where}: {error.message[:300]}")

    def bodies_valid(self) -> None:
        expect(self.bodies_checked > 0, "no request body was checked")
        shown = "\n      ".join(self.body_violations[:20])
        expect(
            not self.body_violations,
            f"{len(self.body_violations)} of the request bodies sent (taken by the service) violate "
            f"the document's schemas:\n      {shown}",
        )
        print(f"     {self.bodies_checked} request bodies satisfied their schemas")

    # -- the scenario ----------------------------------------------------

    def run(self) -> None:
        step = self.step
        gen = step("import the generated client", self.import_client)
        self.gen = gen
        token = step("POST /v1/oauth/token (client credentials) -> token", self.token)
        self.api = gen.AuthenticatedClient(
            base_url=self.args.base_url,
            token=token,
            raise_on_unexpected_status=True,
            httpx_args={"event_hooks": self.hooks},
        )
        self.partnership = step("create a partnership with a unique slug", self.create_partnership)
        self.orgs = step("organisations: reuse by name or create", self.organisations)
        step("members: statutory partners and relevant agencies", self.members)
        self.people = step("people with initials (plus a deputy and the person deputised for)", self.create_people)
        self.groups = step("groups with parents", self.create_groups)
        self.meeting = step("the meeting of 18 November 2019", self.create_meeting)
        step("attendees, one deputising for a person who sent apologies", self.attendees)
        step("agenda items and their decisions", self.items_and_decisions)
        step("the meeting reads back held and quorate", self.read_meeting, critical=False)
        step("PATCH the partnership with If-Match from its ETag", self.patch_with_if_match, critical=False)
        step("invalid input answers 422 problem+json with field errors", self.validation_problem, critical=False)
        step("metrics CP-PLANS (count) and TIMELY-ICPC (percent)", self.metrics)
        step("submission of 2019-20-Q2 values: imported/rejected counted", self.submit, critical=False)
        step("the same Idempotency-Key replays the first answer", self.submit_replay, critical=False)
        step("resubmission: updated and unchanged, dry run stores nothing", self.resubmit, critical=False)
        step("the values read back", self.read_values, critical=False)
        step("a data request, a CSV submission with a bad row, completeness", self.data_request, critical=False)
        step("actions agreed under items, owners by initials, ALL and a group", self.actions)
        step("an update completes an action; the log filters by owner", self.action_update, critical=False)
        step("matters arising of the next board", self.matters_arising, critical=False)
        step("the January board recorded in one request, read back and saved again", self.record_meeting, critical=False)
        step("the change feed from its cursor, and a webhook subscribed", self.integrations, critical=False)
        step("a paper attached, downloaded whole and by range, replaced, withdrawn", self.papers, critical=False)
        step("the risk register: re-scoring, trend, bands, escalation", self.risks, critical=False)
        step("budgets: contributions copied, the NSPCC package from reserve, a closed year reversed", self.budgets, critical=False)
        step("GET /v1/meetings/{id}/minutes as JSON", self.minutes_json, critical=False)
        step("GET /v1/meetings/{id}/minutes as Markdown", self.minutes_markdown, critical=False)
        step("every request body sent satisfied the document's schema", self.bodies_valid, critical=False)

    def import_client(self) -> Any:
        import importlib

        class Gen:
            pass

        gen = Gen()
        gen.package = importlib.import_module(PACKAGE)
        gen.Client = gen.package.Client
        gen.AuthenticatedClient = gen.package.AuthenticatedClient
        gen.models = importlib.import_module(f"{PACKAGE}.models")
        gen.types = importlib.import_module(f"{PACKAGE}.types")
        for group, names in {
            "authentication": ["issue_token"],
            "partnerships": ["create_partnership", "get_partnership", "update_partnership"],
            "organisations": ["list_organisations", "create_organisation"],
            "members": ["create_member", "list_members"],
            "people": ["create_person"],
            "groups": ["create_group"],
            "meetings": [
                "create_meeting",
                "get_meeting",
                "list_meetings",
                "create_attendee",
                "create_item",
                "create_decision",
                "get_minutes",
                "record_meeting",
                "get_record",
                "replace_record",
                "add_paper",
                "list_papers",
                "get_paper",
                "download_paper",
                "replace_paper",
                "withdraw_paper",
            ],
            "performance_data": [
                "create_metric",
                "submit_values",
                "list_values",
                "create_data_request",
                "update_data_request",
                "get_data_request",
                "get_completeness",
            ],
            "actions": ["create_action", "get_action", "list_actions", "create_update", "matters_arising"],
            "risks": [
                "create_risk",
                "get_risk",
                "create_assessment",
                "list_assessments",
                "get_risk_scoring",
                "put_risk_scoring",
                "escalate",
            ],
            "integrations": ["list_changes", "create_webhook", "list_deliveries"],
            "budgets": [
                "create_budget",
                "update_budget",
                "budget_summary",
                "years_summary",
                "create_contribution",
                "copy_contributions",
                "create_line",
                "create_transaction",
                "update_transaction",
                "reverse_transaction",
            ],
        }.items():
            for name in names:
                setattr(gen, name, importlib.import_module(f"{PACKAGE}.api.{group}.{name}"))
        return gen

    def token(self) -> str:
        m = self.gen.models
        anonymous = self.gen.Client(
            base_url=self.args.base_url,
            raise_on_unexpected_status=True,
            httpx_args={"event_hooks": self.hooks},
        )
        body = m.TokenRequest(
            grant_type=m.GrantType.CLIENT_CREDENTIALS,
            client_id=self.args.client_id,
            client_secret=self.args.client_secret,
        )
        self.check_body("issue_token", body)
        response = self.gen.issue_token.sync_detailed(client=anonymous, body=body)
        expect(response.status_code == 200, f"token: HTTP {int(response.status_code)}: {response.content[:300]!r}")
        answer = response.parsed
        expect(isinstance(answer, m.TokenResponse), f"token answer not a TokenResponse: {answer!r}")
        expect(answer.token_type.lower() == "bearer", f"token_type {answer.token_type}")
        expect(answer.scope == "platform_admin", f"scope {answer.scope}")
        expect(0 < answer.expires_in <= 3600, f"expires_in {answer.expires_in}")
        return answer.access_token

    def create_partnership(self) -> Any:
        m = self.gen.models
        seed = self.seed["partnership"]
        self.slug = f"{seed['slug']}-e2e-{self.suffix}"
        response = self.call(
            self.gen.create_partnership,
            201,
            body=m.CreatePartnership(name=f"{seed['name']} (e2e {self.suffix})", slug=self.slug, area=seed["area"]),
            idempotency_key=f"e2e-partnership-{self.suffix}",
        )
        partnership = response.parsed
        expect(partnership.slug == self.slug, f"slug {partnership.slug}")
        return partnership

    def organisations(self) -> dict[str, Any]:
        m = self.gen.models
        ids: dict[str, Any] = {}
        for org in self.seed["organisations"]:
            page = self.call(self.gen.list_organisations, 200, name=org["name"]).parsed
            if page.items:
                found = page.items[0]
                expect(found.name == org["name"], f"name filter gave {found.name}")
                expect(str(found.kind) == org["kind"], f"{org['name']}: kind {found.kind}, seed {org['kind']}")
                ids[org["key"]] = found.id
            else:
                created = self.call(
                    self.gen.create_organisation,
                    201,
                    body=m.CreateOrganisation(name=org["name"], kind=m.OrganisationKind(org["kind"])),
                ).parsed
                ids[org["key"]] = created.id
        # One the registry cannot have yet: the create path, and a kind filter.
        name = f"Hereford Academy Trust (e2e {self.suffix})"
        created = self.call(
            self.gen.create_organisation,
            201,
            body=m.CreateOrganisation(name=name, kind=m.OrganisationKind("education")),
        ).parsed
        expect(str(created.kind) == "education", f"kind {created.kind}")
        ids["e2e-academy"] = created.id
        page = self.call(self.gen.list_organisations, 200, kind=m.OrganisationKind("education"), name=name).parsed
        expect([o.id for o in page.items] == [created.id], "kind=education&name= lists the new organisation")
        return ids

    def members(self) -> None:
        m = self.gen.models
        pid = self.partnership.id
        wanted = [(o["key"], o["membership"]) for o in self.seed["organisations"] if o["membership"]]
        wanted.append(("e2e-academy", "relevant_agency"))
        for key, role in wanted:
            member = self.call(
                self.gen.create_member,
                201,
                id=pid,
                body=m.CreateMember(organisation_id=self.orgs[key], role=m.MemberRole(role)),
            ).parsed
            expect(str(member.role) == role, f"member role {member.role}")
        statutory = self.call(self.gen.list_members, 200, id=pid, role=m.MemberRole("statutory_partner")).parsed
        expect(len(statutory.items) == 3, f"{len(statutory.items)} statutory partners, expected 3")

    # Not in the seed: its minutes record no deputy. Someone of Wye Valley NHS
    # Trust sends apologies and a colleague deputises.
    EXTRA_PEOPLE = [
        {
            "initials": "ML",
            "full_name": "Morgan Lee",
            "job_title": "Head of Safeguarding",
            "organisation": "wye-valley-nhs-trust",
        },
        {
            "initials": "JP",
            "full_name": "Jordan Price",
            "job_title": "Named Nurse for Safeguarding Children",
            "organisation": "wye-valley-nhs-trust",
        },
    ]

    def create_people(self) -> dict[str, Any]:
        m = self.gen.models
        ids: dict[str, Any] = {}
        for person in self.seed["people"] + self.EXTRA_PEOPLE:
            created = self.call(
                self.gen.create_person,
                201,
                id=self.partnership.id,
                body=m.CreatePerson(
                    full_name=person["full_name"],
                    initials=person["initials"],
                    job_title=person["job_title"],
                    organisation_id=self.orgs[person["organisation"]] if person["organisation"] else None,
                ),
            ).parsed
            expect(created.initials == person["initials"], f"initials {created.initials}")
            ids[person["initials"]] = created.id
        return ids

    def create_groups(self) -> dict[str, Any]:
        m = self.gen.models
        ids: dict[str, Any] = {}
        for group in self.seed["groups"]:
            created = self.call(
                self.gen.create_group,
                201,
                id=self.partnership.id,
                body=m.CreateGroup(
                    name=group["name"],
                    short_name=group["short_name"],
                    parent_group_id=ids[group["parent"]] if group["parent"] else None,
                ),
            ).parsed
            ids[group["key"]] = created.id
        return ids

    def create_meeting(self) -> Any:
        m = self.gen.models
        seed = self.seed["meetings"][0]
        meeting = self.call(
            self.gen.create_meeting,
            201,
            id=self.partnership.id,
            body=m.CreateMeeting(
                group_id=self.groups[seed["group"]],
                title=seed["title"],
                starts_at=dt.datetime.fromisoformat(seed["starts_at"]),
                ends_at=dt.datetime.fromisoformat(seed["ends_at"]),
                location=seed["location"],
                status=m.MeetingStatus(seed["status"]),
                no_declarations=seed["no_declarations"],
            ),
        ).parsed
        expect(str(meeting.status) == "held", f"status {meeting.status}")
        expect(meeting.starts_at == dt.datetime(2019, 11, 18, 15, 0, tzinfo=dt.UTC), f"starts_at {meeting.starts_at}")
        return meeting

    def attendees(self) -> None:
        m = self.gen.models
        seed = self.seed["meetings"][0]["attendees"] + [
            {"person": "ML", "guest_name": None, "attendance": "apologies", "role": "member", "deputising_for": None},
            {"person": "JP", "guest_name": None, "attendance": "present", "role": "member", "deputising_for": "ML"},
        ]
        for attendee in seed:
            created = self.call(
                self.gen.create_attendee,
                201,
                id=self.meeting.id,
                body=m.CreateAttendee(
                    person_id=self.people[attendee["person"]] if attendee["person"] else None,
                    guest_name=attendee["guest_name"],
                    attendance=m.Attendance(attendee["attendance"]),
                    role=m.AttendeeRole(attendee["role"]),
                    deputising_for_person_id=self.people[attendee["deputising_for"]]
                    if attendee["deputising_for"]
                    else None,
                ),
            ).parsed
            expect(str(created.attendance) == attendee["attendance"], f"attendance {created.attendance}")
            expect(str(created.role) == attendee["role"], f"role {created.role}")
            if attendee["deputising_for"]:
                expect(
                    created.deputising_for_person_id == self.people[attendee["deputising_for"]],
                    f"deputising_for_person_id {created.deputising_for_person_id}",
                )

    def items_and_decisions(self) -> None:
        m = self.gen.models
        self.item_count = self.decision_count = 0
        self.item_ids: dict[str, Any] = {}
        for item in self.seed["meetings"][0]["items"]:
            created = self.call(
                self.gen.create_item,
                201,
                id=self.meeting.id,
                body=m.CreateItem(
                    number=item["number"],
                    title=item["title"],
                    presenter_person_id=self.people[item["presenter"]] if item["presenter"] else None,
                    minutes=item["minutes"],
                    confidential=item["confidential"],
                    not_minuted=item["not_minuted"],
                ),
            ).parsed
            self.item_count += 1
            self.item_ids[item["title"]] = created.id
            for decision in item["decisions"]:
                made = self.call(
                    self.gen.create_decision,
                    201,
                    id=self.meeting.id,
                    item_id=created.id,
                    body=m.CreateDecision(outcome=m.Outcome(decision["outcome"]), text=decision["text"]),
                ).parsed
                expect(str(made.outcome) == decision["outcome"], f"outcome {made.outcome}")
                self.decision_count += 1

    def read_meeting(self) -> None:
        response = self.call(self.gen.get_meeting, 200, id=self.meeting.id)
        meeting = response.parsed
        expect(str(meeting.status) == "held", f"status {meeting.status}")
        expect(meeting.quorate is True, f"quorate {meeting.quorate}, missing {meeting.quorum_missing_organisation_ids}")
        expect(response.headers.get("etag") == f'"{meeting.version}"', f"ETag {response.headers.get('etag')}")
        listed = self.call(
            self.gen.list_meetings, 200, id=self.partnership.id, status=self.gen.models.MeetingStatus("held")
        ).parsed
        expect([x.id for x in listed.items] == [self.meeting.id], "status=held lists the meeting")

    def integrations(self) -> None:
        """An agency's warehouse follows the partnership: a webhook for the
        events it wants (its secret shown once), then the change feed read
        from the start to its end, resumed from the cursor every page gives."""
        m = self.gen.models
        body = m.CreateWebhook.from_dict({
            "url": "https://warehouse.example.org/hooks/safeguarding",
            "event_types": ["action.created", "action.overdue", "minutes.published"],
            "description": "Police data warehouse",
        })
        hook = self.call(self.gen.create_webhook, 201, id=self.partnership.id, body=body,
                         idempotency_key=f"e2e-webhook-{self.suffix}").parsed
        expect(hook.secret.startswith("whsec_"), "a signing secret, shown once")
        after, seen = 0, []
        while True:
            page = self.call(self.gen.list_changes, 200, id=self.partnership.id,
                             after_seq=after, limit=100, wait=0).parsed
            seen += page.items
            expect(page.next_after_seq >= after, "the cursor never goes back")
            after = page.next_after_seq
            if not page.has_more:
                break
        seqs = [c.seq for c in seen]
        expect(seqs == sorted(set(seqs)), "in seq order, each once")
        expect(any(c.resource_type == "webhook" and str(c.resource_id) == str(hook.id) for c in seen),
               "the webhook's creation is in the feed")
        last = self.call(self.gen.list_changes, 200, id=self.partnership.id, after_seq=after).parsed
        expect(last.items == [] and last.next_after_seq == after, "the end still gives its cursor")
        self.call(self.gen.list_deliveries, 200, id=self.partnership.id, webhook_id=hook.id)

    def upload(self, operation: Any, content_type: str, **kwargs: Any) -> Any:
        """An upload through the generated operation's request. The document
        offers ten media types for a paper's body and the generator gives
        each the same `File`, so its request always says the last one
        (`text/plain`); the caller says which it is, as an integrator's code
        must with this generator. The answer goes through the generated
        parser."""
        request = operation._get_kwargs(**kwargs)
        request["headers"]["Content-Type"] = content_type
        response = self.api.get_httpx_client().request(**request)
        parsed = operation._parse_response(client=self.api, response=response)
        if response.status_code not in (200, 201) or type(parsed).__name__ != "Paper":
            raise Failure(f"{operation.__name__}: HTTP {response.status_code}: {response.text[:300]}")
        return response, parsed

    def papers(self) -> None:
        """A business support officer attaches an appendix to an item: the
        PDF itself as the body; reads it back whole (its SHA-256 the ETag)
        and by range; replaces it with a new version under If-Match; the
        minutes list it; it is withdrawn, kept for the record."""
        import hashlib
        from io import BytesIO

        File = self.gen.types.File
        item = next(iter(self.item_ids.values()))
        first = b"%PDF-1.4\n% Appendix A: Case review framework\n" + b"0" * 4096 + b"\n%%EOF\n"
        response, paper = self.upload(
            self.gen.add_paper, "application/pdf", id=self.meeting.id, item_id=item,
            body=File(payload=BytesIO(first), file_name="framework.pdf", mime_type="application/pdf"),
            label="Appendix A", title="Case review framework", file_name="framework.pdf",
            idempotency_key=f"e2e-paper-{self.suffix}",
        )
        expect(response.status_code == 201, f"HTTP {response.status_code}")
        expect(paper.sha256 == hashlib.sha256(first).hexdigest(), "the SHA-256 of the bytes sent")
        expect(str(paper.content_type) == "application/pdf", f"type {paper.content_type}")
        listed = self.call(self.gen.list_papers, 200, id=self.meeting.id, item_id=item).parsed
        expect([p.id for p in listed.items] == [paper.id], "the item lists its paper")
        whole = self.call(self.gen.download_paper, 200, id=self.meeting.id, item_id=item, paper_id=paper.id)
        expect(whole.parsed.payload.read() == first, "the same bytes back")
        expect(whole.headers.get("etag") == f'"{paper.sha256}"', f"ETag {whole.headers.get('etag')}")
        part = self.call(self.gen.download_paper, 206, id=self.meeting.id, item_id=item, paper_id=paper.id,
                         range_="bytes=5-14")
        expect(part.parsed.payload.read() == first[5:15], "the range asked for")
        second = first.replace(b"framework", b"framework v2")
        _, replaced = self.upload(
            self.gen.replace_paper, "application/pdf", id=self.meeting.id, item_id=item, paper_id=paper.id,
            body=File(payload=BytesIO(second), file_name="framework-v2.pdf", mime_type="application/pdf"),
            file_name="framework-v2.pdf", if_match=f'"{paper.version}"',
        )
        expect(replaced.sha256 == hashlib.sha256(second).hexdigest() and replaced.file_name == "framework-v2.pdf",
               "the new version's bytes and name")
        old = self.call(self.gen.download_paper, 200, id=self.meeting.id, item_id=item, paper_id=paper.id,
                        version=1)
        expect(old.parsed.payload.read() == first, "version 1 stays downloadable")
        kwargs = self.gen.get_minutes._get_kwargs(self.meeting.id)
        kwargs.setdefault("headers", {})["Accept"] = "text/markdown"
        markdown = self.api.get_httpx_client().request(**kwargs).text
        expect("Appendix A: Case review framework" in markdown, "the minutes list the paper")
        withdrawn = self.call(self.gen.withdraw_paper, 200, id=self.meeting.id, item_id=item, paper_id=paper.id,
                              if_match=f'"{replaced.version}"').parsed
        expect(withdrawn.withdrawn is True, "withdrawn, and kept")
        self.call(self.gen.get_paper, 200, id=self.meeting.id, item_id=item, paper_id=paper.id)

    def record_meeting(self) -> None:
        """A minute-taker's tool has the whole meeting at once: one document,
        people by initials or name (one of them new), owners by initials,
        `ALL` or a group's short name; read back as the same document and
        saved again with If-Match."""
        m = self.gen.models
        document = {
            "group_name": "SPB",
            "meeting": {
                "title": "Herefordshire Safeguarding Partner's Board",
                "starts_at": "2020-01-20T15:00:00Z",
                "location": "Goodrich Room, Plough Lane, Hereford",
            },
            "present": [
                {"initials": "LM", "role": "chair"},
                {"name": "Jordan Price", "deputising_for": "Morgan Lee"},
                {"name": "Sam Rivers", "initials": "SR", "job_title": "Designated Doctor",
                 "organisation": "Wye Valley NHS Trust"},
            ],
            "in_attendance": [{"initials": "EH", "role": "minute_taker"}],
            "apologies": [{"initials": "ML"}],
            "no_declarations": True,
            "items": [
                {"number": "1.", "title": "Quality Assurance Framework", "presenter": "PG",
                 "minutes": "The framework was approved.",
                 "decisions": [{"outcome": "approved", "text": "The Quality Assurance Framework was approved."}],
                 "actions": [{"description": "Publish the framework.", "owners": ["SR", "D&P"],
                              "due_text": "end of February", "due_date": "2020-02-28"}]},
            ],
        }
        body = m.MeetingRecord.from_dict(document)
        recorded = self.call(
            self.gen.record_meeting, 201, id=self.partnership.id, body=body,
            idempotency_key=f"e2e-record-{self.suffix}",
        ).parsed
        created = [p.initials for p in recorded.people_created]
        expect(created == ["SR"], f"people created {created}")
        items = recorded.minutes.items
        expect(len(items) == 1 and len(items[0].actions) == 1, "one item, one action")
        owners = [o.initials for o in items[0].actions[0].owners]
        expect(owners == ["SR", "D&P"], f"owners {owners}")
        read = self.call(self.gen.get_record, 200, id=recorded.id)
        again = read.parsed
        expect(again.items[0].actions[0].owners == ["SR", "D&P"], f"read back {again.items[0].actions[0].owners}")
        expect(again.present[1].deputising_for == "Morgan Lee", "the deputy reads back")
        # Answered as MeetingRecordAnswer (every field sent), sent back as a
        # MeetingRecord: the same document.
        edited = m.MeetingRecord.from_dict(again.to_dict())
        edited.items[0].minutes = "The framework was approved, with one change."
        saved = self.call(
            self.gen.replace_record, 200, id=recorded.id, body=edited, if_match=read.headers.get("etag"),
        ).parsed
        expect(saved.minutes.items[0].minutes.endswith("one change."), "saved again")
        expect(saved.minutes.items[0].actions[0].number == items[0].actions[0].number, "the action kept its number")

    def patch_with_if_match(self) -> None:
        m = self.gen.models
        pid = self.partnership.id
        current = self.call(self.gen.get_partnership, 200, id=pid)
        etag = current.headers.get("etag")
        expect(etag == f'"{current.parsed.version}"', f"ETag {etag}")
        changed = self.call(
            self.gen.update_partnership,
            200,
            id=pid,
            body=m.UpdatePartnership(area="County of Herefordshire"),
            if_match=etag,
        ).parsed
        expect(changed.area == "County of Herefordshire" and changed.version == current.parsed.version + 1, "patched")
        # A stale If-Match is refused: the 412 is a documented answer (Problem).
        stale = self.gen.update_partnership.sync_detailed(
            client=self.api, id=pid, body=m.UpdatePartnership(area="Herefordshire"), if_match=etag
        )
        expect(stale.status_code == 412, f"stale If-Match: HTTP {int(stale.status_code)}")
        expect(type(stale.parsed).__name__ == "Problem", f"412 parsed as {type(stale.parsed).__name__}")

    def validation_problem(self) -> None:
        m = self.gen.models
        response = self.gen.create_person.sync_detailed(
            client=self.api, id=self.partnership.id, body=m.CreatePerson(full_name=" ", initials="PG")
        )
        expect(response.status_code == 422, f"HTTP {int(response.status_code)}: {response.content[:300]!r}")
        problem = response.parsed
        expect(type(problem).__name__ == "Problem", f"422 parsed as {type(problem).__name__}")
        expect(problem.status == 422, f"problem status {problem.status}")
        expect(response.headers.get("content-type", "").startswith("application/problem+json"), "problem+json")
        fields = [e.field for e in problem.errors] if problem.errors else []
        expect("full_name" in fields, f"errors name the fields: {fields}")

    def metrics(self) -> None:
        m = self.gen.models
        plans = self.call(
            self.gen.create_metric,
            201,
            id=self.partnership.id,
            body=m.CreateMetric(
                code="CP-PLANS", name="Children on a child protection plan", unit=m.Unit("count"), min_value=0
            ),
        ).parsed
        expect(str(plans.unit) == "count", f"unit {plans.unit}")
        timely = self.call(
            self.gen.create_metric,
            201,
            id=self.partnership.id,
            body=m.CreateMetric(
                code="TIMELY-ICPC", name="Initial conferences within 15 working days", unit=m.Unit("percent")
            ),
        ).parsed
        expect(str(timely.unit) == "percent", f"unit {timely.unit}")

    def submission(self, plans: float, dry_run: bool = False) -> Any:
        m = self.gen.models
        return m.Submission(
            period="2019-20-Q2",
            organisation_id=self.orgs["west-mercia-police"],
            values=[
                m.SubmittedValue(metric="CP-PLANS", value=plans, comment="Force footprint, Herefordshire share"),
                m.SubmittedValue(metric="TIMELY-ICPC", value=87.5),
                m.SubmittedValue(metric="NO-SUCH", value=1),
            ],
            dry_run=dry_run,
        )

    def check_summary(self, summary: Any, imported: int, updated: int, unchanged: int, dry_run: bool) -> None:
        got = (summary.imported, summary.updated, summary.unchanged, summary.dry_run)
        expect(got == (imported, updated, unchanged, dry_run), f"(imported, updated, unchanged, dry_run) = {got}")
        expect(
            [(r.index, r.metric) for r in summary.rejected] == [(2, "NO-SUCH")],
            f"rejected {[(r.index, r.metric, r.reason) for r in summary.rejected]}",
        )

    def submit(self) -> None:
        self.submit_key = f"wmp-2019-20-Q2-{self.suffix}"
        response = self.call(
            self.gen.submit_values, 200, id=self.partnership.id, body=self.submission(132), idempotency_key=self.submit_key
        )
        self.check_summary(response.parsed, imported=2, updated=0, unchanged=0, dry_run=False)

    def submit_replay(self) -> None:
        response = self.call(
            self.gen.submit_values, 200, id=self.partnership.id, body=self.submission(132), idempotency_key=self.submit_key
        )
        self.check_summary(response.parsed, imported=2, updated=0, unchanged=0, dry_run=False)
        replayed = response.headers.get("idempotent-replayed")
        expect(replayed == "true", f"Idempotent-Replayed: {replayed}")

    def resubmit(self) -> None:
        pid = self.partnership.id
        again = self.call(
            self.gen.submit_values, 200, id=pid, body=self.submission(140), idempotency_key=f"{self.submit_key}-2"
        )
        self.check_summary(again.parsed, imported=0, updated=1, unchanged=1, dry_run=False)
        dry = self.call(self.gen.submit_values, 200, id=pid, body=self.submission(150, dry_run=True))
        self.check_summary(dry.parsed, imported=0, updated=1, unchanged=1, dry_run=True)

    def data_request(self) -> None:
        m, pid = self.gen.models, self.partnership.id
        police, council = self.orgs["west-mercia-police"], self.orgs["herefordshire-council"]
        request = self.call(
            self.gen.create_data_request,
            201,
            id=pid,
            body=m.CreateDataRequest(
                period="2019-20-Q2",
                metrics=["CP-PLANS", "TIMELY-ICPC"],
                organisation_ids=[police, council],
                due_date=dt.date(2019, 11, 29),
            ),
        )
        expect(str(request.parsed.status) == "open", f"status {request.parsed.status}")
        csv = "metric,value,comment\r\nCP-PLANS,12,\r\nTIMELY-ICPC,not a number,\r\n".encode()
        summary = self.call(
            self.gen.submit_values,
            200,
            id=pid,
            period="2019-20-Q2",
            organisation_id=council,
            body=self.gen.types.File(payload=io.BytesIO(csv), file_name="q2.csv", mime_type="text/csv"),
        ).parsed
        expect(summary.imported == 1, f"imported {summary.imported}")
        expect([r.row for r in summary.rejected] == [3], f"rejected {[r.to_dict() for r in summary.rejected]}")
        report = self.call(self.gen.get_completeness, 200, id=request.parsed.id).parsed
        rows = {str(o.organisation_id): (o.received, list(o.missing)) for o in report.organisations}
        expect(rows[str(council)] == (1, ["TIMELY-ICPC"]), f"council {rows[str(council)]}")
        expect(report.totals.due == 4, f"due {report.totals.due}")
        closed = self.call(
            self.gen.update_data_request,
            200,
            id=request.parsed.id,
            if_match=request.headers["etag"],
            body=m.UpdateDataRequest(status=m.DataRequestStatus("closed")),
        ).parsed
        expect(str(closed.status) == "closed", f"status {closed.status}")

    def read_values(self) -> None:
        page = self.call(
            self.gen.list_values,
            200,
            id=self.partnership.id,
            period="2019-20-Q2",
            organisation_id=self.orgs["west-mercia-police"],
        ).parsed
        expect(len(page.items) == 2, f"{len(page.items)} values: {[v.to_dict() for v in page.items]}")
        expect(all(v.period == "2019-20-Q2" for v in page.items), "period filter")
        numbers = sorted(v.value for v in page.items)
        expect(numbers == [87.5, 140.0], f"values {numbers} (expected the resubmitted 140, not the dry run's 150)")

    def actions(self) -> None:
        m = self.gen.models
        short = {g["short_name"]: self.groups[g["key"]] for g in self.seed["groups"]}
        self.actions_made: list[Any] = []
        for item in self.seed["meetings"][0]["items"]:
            for a in item.get("actions", []):
                owners = [str(short.get(o.removesuffix(" Group"), o)) for o in a["owners"]]
                made = self.call(
                    self.gen.create_action,
                    201,
                    id=self.partnership.id,
                    body=m.CreateAction(
                        description=a["description"],
                        owners=owners,
                        meeting_id=self.meeting.id,
                        item_id=self.item_ids[item["title"]],
                        due_text=a["due"],
                        due_date=dt.date.fromisoformat(a["due_date"]) if a.get("due_date") else None,
                    ),
                ).parsed
                self.actions_made.append(made)
        numbers = [a.number for a in self.actions_made]
        expect(numbers == list(range(1, len(numbers) + 1)), f"numbers {numbers}")
        first = self.actions_made[0]
        expect(str(first.owners[0].kind) == "all_partners", f"owner kind {first.owners[0].kind}")
        expect(first.reference == "Action No 1 (18.11.19)", f"reference {first.reference}")
        second = self.actions_made[1]
        expect(second.reference == "Action No 2 (18.11.19 ref 1)", f"reference {second.reference}")
        expect(str(second.status) == "open" and second.due_date == dt.date(2019, 11, 30), "status and due date")

    def action_update(self) -> None:
        m = self.gen.models
        target = self.actions_made[1]
        update = self.call(
            self.gen.create_update,
            201,
            id=target.id,
            body=m.CreateUpdate(
                note="Report completed and circulated.",
                status=m.ActionStatus("complete"),
                noted_on=dt.date(2019, 11, 29),
                reported_at_meeting_id=self.meeting.id,
            ),
        ).parsed
        expect(update.noted_on == dt.date(2019, 11, 29), f"noted_on {update.noted_on}")
        action = self.call(self.gen.get_action, 200, id=target.id).parsed
        expect(str(action.status) == "complete", f"status {action.status}")
        expect(action.completed_on == dt.date(2019, 11, 29), f"completed_on {action.completed_on}")
        page = self.call(self.gen.list_actions, 200, id=self.partnership.id, owner="PG", status=m.ActionStatus("open")).parsed
        expect(page.items and all(any(o.initials == "PG" for o in a.owners) for a in page.items), "owner filter")
        expect(target.id not in [a.id for a in page.items], "the completed action is not open")

    def matters_arising(self) -> None:
        m = self.gen.models
        board = self.call(
            self.gen.create_meeting,
            201,
            id=self.partnership.id,
            body=m.CreateMeeting(
                group_id=self.groups["spb"],
                title="Herefordshire Safeguarding Partner's Board",
                starts_at=dt.datetime(2019, 12, 18, 15, 0, tzinfo=dt.timezone.utc),
            ),
        ).parsed
        review = self.call(self.gen.matters_arising, 200, id=board.id).parsed
        outstanding = [a.number for a in review.outstanding]
        expect(len(outstanding) == len(self.actions_made) - 1, f"outstanding {outstanding}")
        expect(review.previous_meeting_id == self.meeting.id, "previous meeting")

    def risks(self) -> None:
        m = self.gen.models
        made = self.call(
            self.gen.create_risk,
            201,
            id=self.partnership.id,
            body=m.CreateRisk(
                title="Thresholds guidance not understood or applied across the partnership",
                owner="PG",
                likelihood=4,
                impact=4,
                assessed_on=dt.date(2019, 11, 18),
                status=m.RiskStatus("agreed"),
                mitigation_action_ids=[self.actions_made[0].id],
            ),
        ).parsed
        expect(made.score == 16 and str(made.rating) == "red", f"score {made.score}, rating {made.rating}")
        expect(made.owner_initials == "PG" and made.mitigations[0].number == 1, "owner and mitigation")
        self.call(
            self.gen.create_assessment,
            201,
            id=made.id,
            body=m.CreateAssessment(likelihood=3, impact=4, assessed_on=dt.date(2019, 12, 18), note="Audit"),
        )
        risk = self.call(self.gen.get_risk, 200, id=made.id).parsed
        expect(risk.score == 12 and str(risk.trend) == "improving", f"score {risk.score}, trend {risk.trend}")
        history = self.call(self.gen.list_assessments, 200, id=made.id, since=dt.date(2019, 12, 1)).parsed
        expect(len(history.items) == 1 and history.since.score_before == 16, f"since {history.since}")
        scoring = self.call(self.gen.get_risk_scoring, 200, id=self.partnership.id)
        bands = [
            m.Band(rating=m.Rating("green"), from_=1, to=6),
            m.Band(rating=m.Rating("amber"), from_=7, to=9),
            m.Band(rating=m.Rating("red"), from_=10, to=25),
        ]
        self.call(
            self.gen.put_risk_scoring,
            200,
            id=self.partnership.id,
            body=m.PutScoring(bands=bands),
            if_match=scoring.headers["etag"],
        )
        risk = self.call(self.gen.get_risk, 200, id=made.id).parsed
        expect(str(risk.rating) == "red", f"12 is red under the new bands, not {risk.rating}")
        ahead = self.call(
            self.gen.create_meeting,
            201,
            id=self.partnership.id,
            body=m.CreateMeeting(
                group_id=self.groups["spb"],
                title="Herefordshire Safeguarding Partner's Board",
                starts_at=dt.datetime(2099, 1, 19, 14, 0, tzinfo=dt.timezone.utc),
            ),
        ).parsed
        escalation = self.call(
            self.gen.escalate, 201, id=made.id, body=m.CreateEscalation(group_id=self.groups["spb"])
        ).parsed
        expect(escalation.meeting_id == ahead.id and escalation.item_number == "1", f"escalation {escalation}")
        again = self.call(
            self.gen.escalate, 200, id=made.id, body=m.CreateEscalation(group_id=self.groups["spb"])
        ).parsed
        expect(again.id == escalation.id, "a retry answers the escalation made")

    def budgets(self) -> None:
        m = self.gen.models
        p = self.partnership.id
        first = self.call(
            self.gen.create_budget,
            201,
            id=p,
            body=m.CreateBudget(financial_year="2019/20", reserve_target_pence=6_000_000, opening_reserve_pence=4_000_000),
        ).parsed
        expect(first.financial_year == "2019-20", f"financial year {first.financial_year}")
        for key, amount in (("herefordshire-council", 4_500_000), ("west-mercia-police", 3_000_000)):
            self.call(
                self.gen.create_contribution,
                201,
                id=first.id,
                body=m.CreateContribution(
                    organisation_id=self.orgs[key], amount_pence=amount, status=m.ContributionStatus("received")
                ),
            )
        line = self.call(
            self.gen.create_line,
            201,
            id=first.id,
            body=m.CreateLine(name="NSPCC Support Package", kind=m.LineKind("expenditure"), planned_pence=0),
        ).parsed
        package = self.call(
            self.gen.create_transaction,
            201,
            id=first.id,
            body=m.CreateTransaction(
                line_id=line.id,
                date=dt.date(2019, 11, 20),
                amount_pence=850_000,
                description="NSPCC Support Package for HSB",
                from_reserve=True,
            ),
        ).parsed
        self.call(
            self.gen.update_transaction,
            200,
            id=first.id,
            transaction_id=package.id,
            body=m.UpdateTransaction(reference="PO-1234"),
            if_match='"1"',
        )
        summary = self.call(self.gen.budget_summary, 200, id=first.id).parsed
        reserve = summary.reserve
        expect(
            (reserve.opening_pence, reserve.movement_pence, reserve.closing_pence, reserve.gap_to_target_pence)
            == (4_000_000, 6_650_000, 10_650_000, -4_650_000),
            f"reserve {reserve}",
        )
        closed = self.call(
            self.gen.update_budget,
            200,
            id=first.id,
            body=m.UpdateBudget(status=m.BudgetStatus("closed")),
            if_match='"1"',
        ).parsed
        expect(closed.closing_reserve_pence == 10_650_000, f"closing {closed.closing_reserve_pence}")
        reversal = self.call(
            self.gen.reverse_transaction, 201, id=first.id, transaction_id=package.id, body=m.CreateReversal()
        ).parsed
        expect(reversal.amount_pence == -850_000 and reversal.reverses_id == package.id, f"reversal {reversal}")
        second = self.call(self.gen.create_budget, 201, id=p, body=m.CreateBudget(financial_year="2020-21")).parsed
        copied = self.call(
            self.gen.copy_contributions, 200, id=second.id, body=m.CopyContributions(from_="2019-20")
        ).parsed
        expect(len(copied.copied) == 2, f"copied {len(copied.copied)}")
        years = self.call(self.gen.years_summary, 200, id=p, from_="2019-20", to="2020-21").parsed
        carried = years.years[1]
        expect(
            carried.opening_reserve_pence == 10_650_000 and str(carried.opening_reserve_basis) == "carried",
            f"2020-21 opens with {carried.opening_reserve_pence} ({carried.opening_reserve_basis})",
        )

    def minutes_json(self) -> None:
        doc = self.call(self.gen.get_minutes, 200, id=self.meeting.id).parsed
        expect(doc.partnership_slug == self.slug, f"partnership_slug {doc.partnership_slug}")
        expect(doc.group_name == "Herefordshire Safeguarding Partners Board", f"group_name {doc.group_name}")
        expect(doc.redacted is False, "an admin's copy is not redacted")
        present = {line.name: line for line in doc.present}
        expect("Liz Murphy" in present, f"present: {sorted(present)}")
        expect(str(present["Liz Murphy"].role) == "chair", f"chair role {present['Liz Murphy'].role}")
        expect(present.get("Jordan Price") is not None, f"deputy not among present: {sorted(present)}")
        expect(
            present["Jordan Price"].deputising_for == "Morgan Lee",
            f"deputising_for {present['Jordan Price'].deputising_for}",
        )
        expect([a.name for a in doc.apologies] == ["Morgan Lee"], f"apologies {[a.name for a in doc.apologies]}")
        expect("Ed Hughes" in {a.name for a in doc.in_attendance}, "the minute taker is in attendance")
        expect(len(doc.items) == self.item_count, f"{len(doc.items)} items, {self.item_count} created")
        expect(sum(len(i.decisions) for i in doc.items) == self.decision_count, "every decision is in the minutes")
        harry = [i for i in doc.items if i.title == "Serious Case Review 'Harry' Report"]
        expect(len(harry) == 1, "item 4c is in the minutes")
        expect(
            sorted(str(d.outcome) for d in harry[0].decisions) == ["agreed", "deferred"],
            f"4c decisions {[str(d.outcome) for d in harry[0].decisions]}",
        )
        expect(harry[0].presenter in ("Ellen Footman", "EF"), f"4c presenter {harry[0].presenter}")
        expect(doc.meeting.quorate is True, "quorate")
        agreed = sum(len(i.actions) for i in doc.items)
        expect(agreed == len(self.actions_made), f"{agreed} actions under items, {len(self.actions_made)} made")

    def minutes_markdown(self) -> None:
        # The document offers JSON, Markdown and HTML for one 200 (content
        # negotiation by `Accept`, which OpenAPI 3.1 does not let a document
        # declare as a parameter); the generated sync_detailed parses every 200
        # as JSON. So: its request arguments, with `Accept` set, through the
        # generated client's httpx client, which carries the token.
        kwargs = self.gen.get_minutes._get_kwargs(self.meeting.id)
        kwargs.setdefault("headers", {})["Accept"] = "text/markdown"
        response = self.api.get_httpx_client().request(**kwargs)
        expect(response.status_code == 200, f"HTTP {response.status_code}: {response.text[:300]}")
        ctype = response.headers.get("content-type", "")
        expect(ctype.startswith("text/markdown"), f"Content-Type {ctype}")
        text = response.text
        for needle in (
            "Herefordshire Safeguarding Partner's Board",
            "Liz Murphy",
            "Serious Case Review 'Harry' Report",
            "Jordan Price",
            "Morgan Lee",
            "Members noted the Joint Case Review Report.",
        ):
            expect(needle in text, f"{needle!r} not in the Markdown minutes ({len(text)} chars)")


if __name__ == "__main__":
    sys.exit(main())
