"""Hooks for the property-based API test (`.ci/contract`; SCHEMATHESIS_HOOKS).

An `Idempotency-Key` names one request: a client must not reuse it for a
request with another body (draft-ietf-httpapi-idempotency-key-header §2.2),
and the service answers such a reuse 422, as DESIGN.md says. No schema can say
"unique per request", so a generator drawing keys from the published pattern
repeats short ones ("!", "0") across cases and would be refused for it. Here
every well-formed key the generator chose is replaced with a fresh one, as a
real client does; malformed keys are left alone, so the negative checks still
send them. Replay and reuse are tested over HTTP in tests/api/mechanisms.rs.
"""

import re
import uuid

import schemathesis

WELL_FORMED = re.compile(r"[\x21-\x7e]{1,255}")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            value = headers[name]
            if isinstance(value, str) and WELL_FORMED.fullmatch(value):
                headers[name] = str(uuid.uuid4())
