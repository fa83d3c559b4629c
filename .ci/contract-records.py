#!/usr/bin/env python3
"""Records of their own for the property-based run (`.ci/contract`).

Generated path ids name records that do not exist, and ids that must belong
together (an item of that meeting, a decision on that item) never do, so
Schemathesis alone reaches few of the sub-resources' positive paths. This
creates, through the API and with the platform administrator's token, in the
demo's Herefordshire partnership:

  - an open meeting with an item, an attendee, a declaration and a decision,
    for the reads, updates and creates of those (`ST_MEETING`, `ST_ITEM`, ...);
  - another meeting whose records are there to be deleted (`ST_DEL_*`), so the
    deletes do not starve the others;
  - a meeting for the minutes' life cycle (approve, publish, reopen) with a
    later one to approve it at, and a published one for the public copy;
  - an update on an action of the log, and an API client to rotate;
  - an agreed risk with an assessment and an escalation;
  - a published budget (2031-32) with a contribution, a line and three
    transactions (to change, to delete, to reverse), the year before it to
    copy contributions from, and the year after it to change (it cannot
    close while 2031-32 is open, so the ledger's year stays open).

It prints the `[[operations]]` blocks that fix those operations' path ids
(and, through one-value dictionaries, the body fields that must name a record:
a meeting's group, the later meeting minutes are approved at), for
`.ci/contract` to append to `schemathesis.toml` for the run. Everything else
is still generated.

With `--every-path` (the member's and viewer's runs, which are too short for
the stateful phase to find records through the document's links) every path
parameter of every operation is fixed: the partnership, its meeting, item,
action, group, person, member, metric, client and organisation, so that each
case is answered for the role and not 404 for a record that is not there.

    python3 .ci/contract-records.py BASE_URL TOKEN [--every-path] > records.toml
"""

import json
import os
import re
import sys
import time
import uuid
import urllib.request


def call(base, token, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


# A small PDF: what a paper's upload sends (the hook sends it too).
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def upload(base, token, path, data, content_type="application/pdf"):
    request = urllib.request.Request(base + path, data=data, method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def main() -> None:
    base, token = sys.argv[1], sys.argv[2]
    get = lambda path: call(base, token, "GET", path)
    post = lambda path, body: call(base, token, "POST", path, body)

    partnership = get("/v1/partnerships?slug=herefordshire")["items"][0]
    p = partnership["id"]
    group = get(f"/v1/partnerships/{p}/groups")["items"][0]["id"]
    person = get(f"/v1/partnerships/{p}/people")["items"][0]["id"]

    def meeting(title, starts_at):
        return post(f"/v1/partnerships/{p}/meetings",
                    {"group_id": group, "title": title, "starts_at": starts_at})["id"]

    def parts(m, number):
        item = post(f"/v1/meetings/{m}/items", {"number": number, "title": "Contract item"})["id"]
        attendee = post(f"/v1/meetings/{m}/attendees", {"guest_name": "Contract Guest"})["id"]
        declaration = post(f"/v1/meetings/{m}/declarations",
                           {"person_id": person, "text": "Contract declaration"})["id"]
        decision = post(f"/v1/meetings/{m}/items/{item}/decisions",
                        {"outcome": "noted", "text": "Contract decision"})["id"]
        return item, attendee, declaration, decision

    open_meeting = meeting("Contract meeting", "2031-01-13T10:00:00Z")
    item, attendee, declaration, decision = parts(open_meeting, "1")
    doomed = meeting("Contract meeting (deletes)", "2031-02-10T10:00:00Z")
    del_item, del_attendee, del_declaration, del_decision = parts(doomed, "1")
    bare_item = post(f"/v1/meetings/{doomed}/items", {"number": "2", "title": "Contract item to delete"})["id"]
    cycle = meeting("Contract meeting (minutes life cycle)", "2031-03-10T10:00:00Z")
    published = meeting("Contract meeting (published)", "2031-03-17T10:00:00Z")
    later = meeting("Contract meeting (approves the others)", "2031-04-14T10:00:00Z")
    changed = meeting("Contract meeting (updates)", "2031-05-12T10:00:00Z")
    earliest = get(f"/v1/partnerships/{p}/meetings?limit=1")["items"][0]["id"]
    # Minutes to approve: something recorded makes them a draft.
    minuted = {m: post(f"/v1/meetings/{m}/items", {"number": "1", "title": "Contract minutes"})["id"]
               for m in (cycle, published)}
    # Papers: one to read and replace, one to withdraw, one of published minutes.
    papers_of = lambda m, it: f"/v1/meetings/{m}/items/{it}/papers"
    paper = upload(base, token, papers_of(open_meeting, item) + "?label=Appendix%20A&title=Contract%20paper", PDF)["id"]
    withdrawn_paper = upload(base, token, papers_of(open_meeting, item) + "?title=Contract%20paper%20to%20withdraw", PDF)["id"]
    published_paper = upload(base, token, papers_of(published, minuted[published]) + "?title=Contract%20published%20paper", PDF)["id"]
    post(f"/v1/meetings/{published}/minutes/approve", {"approved_at_meeting_id": later})
    post(f"/v1/meetings/{published}/minutes/publish", {})
    action = get(f"/v1/partnerships/{p}/actions?limit=1")["items"][0]["id"]
    update = post(f"/v1/actions/{action}/updates", {"note": "Contract update"})["id"]
    client = post(f"/v1/partnerships/{p}/clients", {"name": "Contract client", "role": "viewer"})["id"]
    # A client of its own to revoke (revoking the one above would stop its rotation).
    revoked_client = post(f"/v1/partnerships/{p}/clients", {"name": "Contract client to revoke", "role": "viewer"})["id"]
    tag = uuid.uuid4().hex[:6].upper()
    own_group = post(f"/v1/partnerships/{p}/groups",
                     {"name": f"Contract group {tag}", "short_name": f"CG{tag}"})["id"]
    # An agreed risk (a viewer sees it), re-scored once, escalated to the
    # group's next meeting (the open one above).
    risk = post(f"/v1/partnerships/{p}/risks", {
        "title": "Contract risk", "status": "agreed", "likelihood": 4, "impact": 4,
        "mitigation_action_ids": [action]})["id"]
    assessment = post(f"/v1/risks/{risk}/assessments", {"likelihood": 3, "impact": 4})["id"]
    escalation = post(f"/v1/risks/{risk}/escalations", {"group_id": group})["id"]
    # Budgets: 2030-31 to copy from, 2031-32 for the ledger, 2032-33 to change.
    # The member's and viewer's runs find them made by the admin's run.
    members = get(f"/v1/partnerships/{p}/members?limit=2")["items"]
    # Generated deletes of members reach the demo's (the stateful phase finds
    # their ids); an agency that owns an action is kept (409), so the one
    # the contributions below name stays a member.
    post(f"/v1/partnerships/{p}/actions", {
        "description": "Contract action owned by an agency", "owners": [members[0]["organisation_id"]]})
    years = {b["financial_year"]: b["id"] for b in get(f"/v1/partnerships/{p}/budgets?limit=500")["items"]}
    if "2031-32" in years:
        budget, changed_budget = years["2031-32"], years.get("2032-33", years["2031-32"])
        contribution = get(f"/v1/budgets/{budget}/contributions?limit=1")["items"][0]["id"]
        budget_line = get(f"/v1/budgets/{budget}/lines?limit=1")["items"][0]["id"]
        kept = doomed_transaction = reversed = get(f"/v1/budgets/{budget}/transactions?limit=1")["items"][0]["id"]
    else:
        # Published, as 2031-32 (published) carries its opening reserve from it.
        source = post(f"/v1/partnerships/{p}/budgets", {"financial_year": "2030-31", "published": True})["id"]
        # Its one contributor contributes to 2031-32 already: a copy is answered
        # (200, skipped) and leaves `members[0]` free for the create.
        post(f"/v1/budgets/{source}/contributions",
             {"organisation_id": members[1]["organisation_id"], "amount_pence": 4500000})
        budget = post(f"/v1/partnerships/{p}/budgets",
                      {"financial_year": "2031-32", "published": True, "reserve_target_pence": 6000000})["id"]
        changed_budget = post(f"/v1/partnerships/{p}/budgets", {"financial_year": "2032-33"})["id"]
        contribution = post(f"/v1/budgets/{budget}/contributions",
                            {"organisation_id": members[1]["organisation_id"], "amount_pence": 3000000})["id"]
        budget_line = post(f"/v1/budgets/{budget}/lines",
                           {"name": "Contract training", "kind": "expenditure", "planned_pence": 1500000})["id"]

        def transaction(description):
            return post(f"/v1/budgets/{budget}/transactions", {
                "line_id": budget_line, "date": "2031-06-01", "amount_pence": 12345,
                "description": description})["id"]

        kept, doomed_transaction, reversed = (transaction(d) for d in ("Contract kept", "Contract deleted", "Contract reversed"))

    # A metric with a value, so that its table has a column and a quarter.
    table_metric = post(f"/v1/partnerships/{p}/metrics", {
        "code": f"CONTRACT-T-{uuid.uuid4().hex[:6].upper()}", "name": "Contract table metric", "unit": "percent"})
    post(f"/v1/partnerships/{p}/submissions", {
        "period": "2019-20-Q2", "organisation_id": members[0]["organisation_id"],
        "values": [{"metric": table_metric["code"], "value": 87.5}]})

    # A data request for a quarter no demo record names, asking the first
    # member for the table metric: read, changed, reported on. Role runs find
    # the admin's (two open requests may not ask the same). Generated creates
    # and changes ask a metric of their own of the member, through the hook's
    # arrays (CONTRACT_ARRAYS): the first create of a quarter succeeds, the
    # rest are 409.
    organisation = members[0]["organisation_id"]
    asked = get(f"/v1/partnerships/{p}/data-requests?period=2031-32-Q1&limit=1")["items"]
    data_request = asked[0]["id"] if asked else post(f"/v1/partnerships/{p}/data-requests", {
        "period": "2031-32-Q1", "metrics": [table_metric["code"]],
        "organisation_ids": [organisation], "due_date": "2031-07-31"})["id"]

    asked_metric = post(f"/v1/partnerships/{p}/metrics", {
        "code": f"CONTRACT-R-{uuid.uuid4().hex[:6].upper()}", "name": "Contract requested metric", "unit": "count"})
    asked = {"metrics": [asked_metric["code"]], "organisation_ids": [organisation]}
    if os.environ.get("CONTRACT_ARRAYS"):
        with open(os.environ["CONTRACT_ARRAYS"], "w", encoding="utf-8") as file:
            json.dump({"POST /v1/partnerships/{id}/data-requests": asked,
                       "PATCH /v1/data-requests/{id}": asked,
                       # A submission's agency and quarter, and a CSV body
                       # of a metric of its own (the hook's `submission`).
                       "submit_values": {
                           "organisation_id": organisation, "period": "2019-20-Q3",
                           "csv": f"metric,value,comment\r\n{table_metric['code']},12.5,contract\r\n"}}, file)

    # A meeting recorded in one document, saved again by the generated PUTs;
    # their bodies (and the POSTs') are a real document (the hook's
    # `meeting_record`), its group and people the partnership's.
    short_name = get(f"/v1/partnerships/{p}/groups")["items"][0]["short_name"]
    initials = get(f"/v1/partnerships/{p}/people")["items"][0]["initials"]
    record = {
        "group_name": short_name,
        "meeting": {"title": "Contract recorded meeting", "starts_at": "2032-01-12T10:00:00Z", "status": "held"},
        "present": [{"initials": initials}],
        "items": [{"number": "1", "title": "Contract recorded item", "minutes": "Noted.", "presenter": initials,
                   "decisions": [{"outcome": "noted", "text": "Noted."}],
                   "actions": [{"description": "Contract recorded action.", "owners": ["ALL", initials]}]}],
    }
    recorded = post(f"/v1/partnerships/{p}/meetings/record", record)["id"]
    if os.environ.get("CONTRACT_ARRAYS"):
        with open(os.environ["CONTRACT_ARRAYS"], encoding="utf-8") as file:
            known = json.load(file)
        known["meeting_record"] = record
        with open(os.environ["CONTRACT_ARRAYS"], "w", encoding="utf-8") as file:
            json.dump(known, file)

    # A webhook to a receiver outside (never reached from CI: its deliveries
    # fail and back off), one to delete, and a delivery to redeliver: the
    # worker makes one from the next person created.
    hooks = f"/v1/partnerships/{p}/webhooks"
    hook_url = "https://hooks.example.org/contract"
    webhook = post(hooks, {"url": hook_url, "event_types": ["person.created"]})["id"]
    doomed_webhook = post(hooks, {"url": hook_url, "event_types": ["action.created"]})["id"]
    post(f"/v1/partnerships/{p}/people", {"full_name": "Contract Webhook Person", "initials": f"CW{tag}"})
    delivery = None
    for _ in range(100):
        found = get(f"{hooks}/{webhook}/deliveries")["items"]
        if found:
            delivery = found[0]["id"]
            break
        time.sleep(0.1)
    if delivery is None:
        sys.exit("contract-records: the webhook worker made no delivery")

    # operation id -> its path parameters
    fixed = {
        "add_paper": {"id": open_meeting, "item_id": item},
        "list_papers": {"id": open_meeting, "item_id": item},
        "get_paper": {"id": open_meeting, "item_id": item, "paper_id": paper},
        "download_paper": {"id": open_meeting, "item_id": item, "paper_id": paper},
        "replace_paper": {"id": open_meeting, "item_id": item, "paper_id": paper},
        "withdraw_paper": {"id": open_meeting, "item_id": item, "paper_id": withdrawn_paper},
        "public_paper": {"slug": partnership["slug"], "id": published, "paper_id": published_paper},
        "list_changes": {"id": p},
        "create_webhook": {"id": p},
        "list_webhooks": {"id": p},
        "get_webhook": {"id": p, "webhook_id": webhook},
        "update_webhook": {"id": p, "webhook_id": webhook},
        "delete_webhook": {"id": p, "webhook_id": doomed_webhook},
        "list_deliveries": {"id": p, "webhook_id": webhook},
        "redeliver": {"id": p, "webhook_id": webhook, "delivery_id": delivery},
        "record_meeting": {"id": p},
        "create_update": {"id": action},
        "get_record": {"id": recorded},
        "replace_record": {"id": recorded},
        "create_data_request": {"id": p},
        "submit_values": {"id": p},
        "get_data_request": {"id": data_request},
        "update_data_request": {"id": data_request},
        "get_completeness": {"id": data_request},
        "metric_table": {"id": p, "metric_id": table_metric["id"]},
        "get_update": {"id": action, "update_id": update},
        "list_attendees": {"id": open_meeting},
        "create_attendee": {"id": open_meeting},
        "get_attendee": {"id": open_meeting, "attendee_id": attendee},
        "update_attendee": {"id": open_meeting, "attendee_id": attendee},
        "delete_attendee": {"id": doomed, "attendee_id": del_attendee},
        "list_declarations": {"id": open_meeting},
        "create_declaration": {"id": open_meeting},
        "delete_declaration": {"id": doomed, "declaration_id": del_declaration},
        "get_item": {"id": open_meeting, "item_id": item},
        "update_item": {"id": open_meeting, "item_id": item},
        "delete_item": {"id": doomed, "item_id": bare_item},
        "list_decisions": {"id": open_meeting, "item_id": item},
        "create_decision": {"id": open_meeting, "item_id": item},
        "update_decision": {"id": open_meeting, "item_id": item, "decision_id": decision},
        "delete_decision": {"id": doomed, "item_id": del_item, "decision_id": del_decision},
        "approve_minutes": {"id": cycle},
        "publish_minutes": {"id": cycle},
        "reopen_minutes": {"id": cycle},
        "rotate_client_secret": {"id": p, "client_id": client},
        "revoke_client": {"id": p, "client_id": revoked_client},
        "create_meeting": {"id": p},
        "public_minutes": {"slug": partnership["slug"], "id": published},
        "update_group": {"id": p, "group_id": own_group},
        "update_meeting": {"id": changed},
        "get_risk": {"id": risk},
        "update_risk": {"id": risk},
        "create_assessment": {"id": risk},
        "list_assessments": {"id": risk},
        "get_assessment": {"id": risk, "assessment_id": assessment},
        "escalate": {"id": risk},
        "list_escalations": {"id": risk},
        "get_escalation": {"id": risk, "escalation_id": escalation},
        "get_budget": {"id": budget},
        "update_budget": {"id": changed_budget},
        "budget_summary": {"id": budget},
        "create_contribution": {"id": budget},
        "list_contributions": {"id": budget},
        "copy_contributions": {"id": budget},
        "get_contribution": {"id": budget, "contribution_id": contribution},
        "update_contribution": {"id": budget, "contribution_id": contribution},
        "create_line": {"id": budget},
        "list_lines": {"id": budget},
        "get_line": {"id": budget, "line_id": budget_line},
        "update_line": {"id": budget, "line_id": budget_line},
        "create_transaction": {"id": budget},
        "list_transactions": {"id": budget},
        "get_transaction": {"id": budget, "transaction_id": kept},
        "update_transaction": {"id": budget, "transaction_id": kept},
        "delete_transaction": {"id": budget, "transaction_id": doomed_transaction},
        "reverse_transaction": {"id": budget, "transaction_id": reversed},
    }
    # operation id -> body fields drawn from a one-value dictionary
    bodies = {
        "approve_minutes": {"approved_at_meeting_id": ("later_meeting", later)},
        "create_meeting": {"group_id": ("group", group)},
        "create_attendee": {"person_id": ("person", person)},
        "create_declaration": {"person_id": ("person", person)},
        "escalate": {"group_id": ("group", group)},
        # Generated names are short ("0") and the fuzzed creates take them
        # first: a rename to a name of its own is what can succeed.
        "update_group": {"parent_group_id": ("group", group), "name": ("group_name", f"Contract group {tag} renamed"),
                         "short_name": ("group_short_name", f"CGR{tag}")},
        "update_meeting": {"group_id": ("group", group), "previous_meeting_id": ("earliest", earliest)},
        # A transaction is dated inside its budget's year, on one of its lines.
        "create_transaction": {"line_id": ("budget_line", budget_line), "date": ("budget_date", "2031-06-01")},
        "update_transaction": {"line_id": ("budget_line", budget_line), "date": ("budget_date", "2031-06-01")},
        "reverse_transaction": {"date": ("budget_date", "2031-06-01")},
        "create_contribution": {"organisation_id": ("member_organisation", members[0]["organisation_id"])},
        "copy_contributions": {"from": ("source_year", "2030-31")},
        # Generated dates shrink towards 2000-01-01, before any quarter of a
        # period begins; this one is after every quarter's start.
        "create_data_request": {"due_date": ("request_due", "2101-03-31")},
        # A receiver the rules allow (a generated string is seldom a URL).
        "create_webhook": {"url": ("webhook_url", hook_url)},
        "update_webhook": {"url": ("webhook_url", hook_url)},
    }
    if "--every-path" in sys.argv[3:]:
        first = lambda path: get(path)["items"][0]["id"]
        known = {
            "/v1/partnerships/{id}": p,
            "/v1/meetings/{id}": open_meeting,
            "/v1/actions/{id}": action,
            "/v1/risks/{id}": risk,
            "/v1/budgets/{id}": budget,
            "/v1/data-requests/{id}": data_request,
            "contribution_id": contribution, "line_id": budget_line, "transaction_id": kept,
            "assessment_id": assessment, "escalation_id": escalation,
            "/v1/organisations/{id}": get(f"/v1/partnerships/{p}/members")["items"][0]["organisation_id"],
            "group_id": group, "person_id": person, "item_id": item,
            "attendee_id": attendee, "declaration_id": declaration,
            "decision_id": decision, "update_id": update, "client_id": client,
            "member_id": first(f"/v1/partnerships/{p}/members"),
            "metric_id": table_metric["id"],
            "slug": partnership["slug"],
            "webhook_id": webhook, "delivery_id": delivery, "paper_id": paper,
        }
        document = get("/openapi.json")
        for path, methods in document["paths"].items():
            names = re.findall(r"\{(\w+)\}", path)
            for method, operation in methods.items():
                if not names or method not in ("get", "post", "put", "patch", "delete"):
                    continue
                params = fixed.setdefault(operation["operationId"], {})
                for name in names:
                    scope = path[: path.index("{" + name + "}") + len(name) + 2]
                    value = known.get(scope if name == "id" else name)
                    if name not in params and value is None:
                        sys.exit(f"contract-records: no record for {{{name}}} in {path}")
                    params.setdefault(name, value)
    print("# Generated by .ci/contract-records.py for one run: records of their own.")
    for operation, params in fixed.items():
        entries = [f'"path.{name}" = "{value}"' for name, value in params.items()]
        for field, (dictionary, _) in bodies.get(operation, {}).items():
            entries.append(f'"body.{field}" = {{ dictionary = "{dictionary}", probability = 1.0 }}')
        print(f'\n[[operations]]\ninclude-operation-id = "{operation}"')
        print("parameters = { " + ", ".join(entries) + " }")
    dictionaries = {d: v for fields in bodies.values() for d, v in fields.values()}
    for dictionary, value in dictionaries.items():
        print(f'\n[dictionaries.{dictionary}]\nvalues = ["{value}"]')


if __name__ == "__main__":
    main()
