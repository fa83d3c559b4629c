"""Hooks for the property-based API test (`.ci/contract`; SCHEMATHESIS_HOOKS).

An `Idempotency-Key` names one request: a client must not reuse it for a
request with another body (draft-ietf-httpapi-idempotency-key-header §2.2),
and the service answers such a reuse 422, as DESIGN.md says. No schema can say
"unique per request", so a generator drawing keys from the published pattern
repeats short ones ("!", "0") across cases and would be refused for it. Here
every well-formed key the generator chose is replaced with a fresh one, as a
real client does; malformed keys are left alone, so the negative checks still
send them. Replay and reuse are tested over HTTP in tests/api/mechanisms.rs.

Some body fields are arrays that must name records of the partnership (a
data request's `metrics` codes and `organisation_ids`). Schemathesis
dictionaries hold scalars only, so `.ci/contract-records.py` writes, to the
file named by CONTRACT_ARRAYS, real values for them per operation; a
positive case's well-formed array is replaced with them (negative cases are
left alone, so the service still has to refuse them).

A meeting record (`POST .../meetings/record`, `PUT /v1/meetings/{id}/record`)
names the partnership's group, people and agencies by name: a positive
case's document is replaced with a real one from the same file, keeping its
generated title (negative cases are left alone).

A submission names a member agency and a quarter, in the JSON body or the
query (a `text/csv` body in the query only), the same if given both ways:
rules between the query and the body that JSON Schema cannot state. A
positive case's well-formed `organisation_id` is made the member's from the
same file, a query parameter given twice is made to agree with the body, and
a `text/csv` body is replaced with a real file of the member's quarter
(negative cases are left alone).

A long poll of the change feed (`wait`, up to 30 s) is made 0 when well
formed, so that the run does not spend minutes waiting.

Each answer's status is also written, a line per call ("METHOD PATH STATUS"),
to the file named by CONTRACT_STATUS_LOG, so that `.ci/contract` can print how
many cases of each operation reached a 2xx (`.ci/reach.py`).

The runs with a partnership member's and a viewer's token (CONTRACT_ROLE)
add a check of their own: what the role may not do (tests/contract/roles.py)
is never answered 2xx. The statuses it gets instead (403, or 404 for what it may not
see) are the document's, which the standard checks hold it to.
"""

import json
import os
import re
import uuid

import schemathesis
from roles import may

WELL_FORMED = re.compile(r"[\x21-\x7e]{1,255}")


def arrays() -> dict:
    path = os.environ.get("CONTRACT_ARRAYS")
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as file:
        return json.load(file)


ARRAYS = arrays()


@schemathesis.hook
def before_call(context, case, kwargs):
    fields = ARRAYS.get(f"{case.operation.method.upper()} {case.operation.path}", {})
    meta = getattr(case, "_meta", None)
    positive = meta is not None and str(meta.generation.mode) == "positive"
    if fields and positive and isinstance(case.body, dict):
        for field, values in fields.items():
            if isinstance(case.body.get(field), list) and case.body[field]:
                case.body[field] = values
    if positive and case.operation.path == "/v1/partnerships/{id}/submissions":
        submission(case, ARRAYS.get("submit_values", {}))
    if case.operation.path == "/v1/partnerships/{id}/changes" and isinstance(case.query, dict):
        # A long poll of up to 30 s per case would take the run's time: a
        # well-formed `wait` is made 0 (tests/api/integrations.rs tests the
        # waiting); one out of range is left, to be refused.
        wait = case.query.get("wait")
        if isinstance(wait, int) and not isinstance(wait, bool) and 0 <= wait <= 30:
            case.query["wait"] = 0
    if positive and case.operation.path in RECORDS and isinstance(case.body, dict):
        meeting_record(case, ARRAYS.get("meeting_record"))
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            value = headers[name]
            if isinstance(value, str) and WELL_FORMED.fullmatch(value):
                headers[name] = str(uuid.uuid4())


UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def submission(case, known: dict) -> None:
    if not known:
        return
    query = case.query if isinstance(case.query, dict) else None
    if isinstance(case.body, dict):
        if isinstance(case.body.get("organisation_id"), str) and UUID.fullmatch(case.body["organisation_id"]):
            case.body["organisation_id"] = known["organisation_id"]
        for name in ("period", "organisation_id", "dry_run", "atomic"):
            if query is not None and name in query and name in case.body:
                query[name] = case.body[name]
        return
    if case.media_type == "text/csv":
        case.body = known["csv"]
        if query is None:
            case.query = query = {}
        query["period"] = known["period"]
        query["organisation_id"] = known["organisation_id"]


RECORDS = ("/v1/partnerships/{id}/meetings/record", "/v1/meetings/{id}/record")


def meeting_record(case, known) -> None:
    """A generated meeting record names no group, person or agency of the
    partnership: the document is replaced with a real one, keeping the
    generated title when it is one."""
    if not known:
        return
    document = json.loads(json.dumps(known))
    title = (case.body.get("meeting") or {}).get("title") if isinstance(case.body.get("meeting"), dict) else None
    if isinstance(title, str) and title.strip() and title.isprintable():
        document["meeting"]["title"] = title
    case.body = document


@schemathesis.hook
def after_call(context, case, response):
    path = os.environ.get("CONTRACT_STATUS_LOG")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as log:
        log.write(f"{case.operation.method.upper()} {case.operation.path} {response.status_code}\n")


@schemathesis.check
def role_may_not(ctx, response, case):
    role = os.environ.get("CONTRACT_ROLE")
    method = case.operation.method.upper()
    if role not in ("member", "viewer") or may(role, method, case.operation.path):
        return None
    if 200 <= response.status_code < 300:
        raise AssertionError(
            f"a {role} was answered {response.status_code} on {method} {case.operation.path}"
        )
    return None
