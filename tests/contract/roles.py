"""What a partnership member and a viewer may do, for the role runs of the
property-based test (`.ci/contract`): the hooks' `role_may_not` check fails a
2xx to anything else, and `.ci/reach.py --role` fails when something the role
may do was never answered 2xx. No dependencies: both import it.

A viewer changes nothing; a member changes only the action log (its actions
and their updates) and the risk register (risks and assessments); neither reads the access log, the change logs (the change feed, which
leaves out what a role may not learn, they do), the API clients or the webhooks.
"""

# What a partnership member may change (Access::Contribute): the action log
# and the risk register (not its scoring, nor escalations: the agenda is the
# admins').
MEMBER_WRITES = {
    ("POST", "/v1/partnerships/{id}/actions"),
    ("PATCH", "/v1/actions/{id}"),
    ("POST", "/v1/actions/{id}/updates"),
    ("POST", "/v1/partnerships/{id}/risks"),
    ("PATCH", "/v1/risks/{id}"),
    ("POST", "/v1/risks/{id}/assessments"),
}

# What only a partnership's admins (or the platform's) may read.
ADMIN_READS = {
    ("GET", "/v1/partnerships/{id}/access-log"),
    ("GET", "/v1/partnerships/{id}/audit-events"),
    ("GET", "/v1/partnerships/{id}/clients"),
    ("GET", "/v1/partnerships/{id}/clients/{client_id}"),
    ("GET", "/v1/audit-events"),
    ("GET", "/v1/partnerships/{id}/webhooks"),
    ("GET", "/v1/partnerships/{id}/webhooks/{webhook_id}"),
    ("GET", "/v1/partnerships/{id}/webhooks/{webhook_id}/deliveries"),
}


def may(role: str, method: str, path: str) -> bool:
    """Whether `role` ("member" or "viewer") may be answered 2xx on the operation."""
    operation = (method.upper(), path)
    if operation[0] == "GET":
        return operation not in ADMIN_READS
    return role == "member" and operation in MEMBER_WRITES
