#!/usr/bin/env python3
"""The parts catalogue's REST API from Python, with the standard library only (urllib, json, base64).

Gets a client-credentials token from the issuer (its token endpoint found through OpenID discovery), then
creates, reads, changes and deletes a part, using the ETag / If-Match pair so that a change made by someone
else in between is refused (412) instead of silently overwritten, and prints RFC 9457 problem details.

Environment:
  PARTS_API_URL        the server, e.g. http://127.0.0.1:3000
  PARTS_ISSUER         the issuer, e.g. http://127.0.0.1:4000
  PARTS_CLIENT_ID      a client with the parts:read and parts:write scopes
  PARTS_CLIENT_SECRET  its secret (never printed)

Exit status 0 when every step answered as expected, 1 otherwise, 2 for missing settings.
"""
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT_SECONDS = 10


class ApiError(Exception):
    """A response with a status other than the one expected; `problem` is its RFC 9457 body, if any."""

    def __init__(self, status, problem, headers):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.problem = problem
        self.headers = headers


def request(method, url, body=None, headers=None, form=None):
    """Sends one request; returns (status, headers, parsed JSON body or None). HTTP errors raise ApiError."""
    headers = dict(headers or {})
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    headers.setdefault("Accept", "application/json, application/problem+json")
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.headers, parse(response.read())
    except urllib.error.HTTPError as error:
        raise ApiError(error.code, parse(error.read()), error.headers) from None


def parse(raw):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def fetch_token(issuer, client_id, client_secret):
    """client_credentials at the token endpoint named in the issuer's discovery document (client_secret_basic)."""
    _, _, metadata = request("GET", issuer.rstrip("/") + "/.well-known/openid-configuration")
    basic = base64.b64encode(f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(client_secret, safe='')}".encode()).decode()
    try:
        _, _, token = request(
            "POST",
            metadata["token_endpoint"],
            headers={"Authorization": f"Basic {basic}"},
            form={"grant_type": "client_credentials", "scope": "parts:read parts:write"},
        )
    except ApiError as error:
        # The token endpoint answers OAuth 2.0 errors (RFC 6749 section 5.2), not problem details.
        body = error.problem or {}
        raise RuntimeError(f"token request refused: {error.status} {body.get('error')}: {body.get('error_description')}") from None
    return token["access_token"]


def describe_problem(error):
    """One line per RFC 9457 member the server sent: type, title, status, detail, code and field errors."""
    problem = error.problem or {}
    lines = [f"  problem {error.status} {problem.get('type')}: {problem.get('title')}", f"    detail: {problem.get('detail')}"]
    for field, messages in (problem.get("errors") or {}).items():
        lines.append(f"    {field}: {'; '.join(messages)}")
    return "\n".join(lines)


def expect_problem(step, status, problem_type, call):
    """Runs `call`, which must fail with `status` and `problem_type`; prints the problem."""
    try:
        call()
    except ApiError as error:
        print(f"{step}: refused as expected\n{describe_problem(error)}")
        if error.status != status or (error.problem or {}).get("type") != problem_type:
            raise
        return error
    raise RuntimeError(f"{step}: expected {status} {problem_type}, but the call succeeded")


def main():
    settings = {name: os.environ.get(name, "") for name in ("PARTS_API_URL", "PARTS_ISSUER", "PARTS_CLIENT_ID", "PARTS_CLIENT_SECRET")}
    missing = [name for name, value in settings.items() if not value]
    if missing:
        print(f"set {', '.join(missing)} (see examples/python/README.md)", file=sys.stderr)
        return 2
    api = settings["PARTS_API_URL"].rstrip("/")
    token = fetch_token(settings["PARTS_ISSUER"], settings["PARTS_CLIENT_ID"], settings["PARTS_CLIENT_SECRET"])
    print("token: obtained (client credentials)")
    auth = {"Authorization": f"Bearer {token}"}

    # Create: 201, the new part, its URL in Location and its version in ETag.
    part_number = f"PY-{int(time.time() * 1000)}"
    status, headers, part = request("POST", f"{api}/api/parts", {"partNumber": part_number, "modelNumber": "PY-M", "name": "Bracket"}, auth)
    url = api + headers["Location"]
    print(f"created {part['partNumber']}: status {status}, id {part['id']}, version {part['version']}, ETag {headers['ETag']}")

    # Read: the ETag names the version read; keep it to change the part only if nobody else did meanwhile.
    _, headers, part = request("GET", url, headers=auth)
    etag = headers["ETag"]
    print(f"read {part['partNumber']}: name {part['name']!r}, ETag {etag}")

    # Update with If-Match: applies, and the part moves to the next version.
    _, headers, part = request("PATCH", url, {"name": "Bracket, galvanised"}, {**auth, "If-Match": etag})
    print(f"updated: name {part['name']!r}, version {part['version']}, ETag {headers['ETag']}")
    current_etag = headers["ETag"]

    # The audit trail: the server records which client created the part and which last changed it (from the
    # token, never from the request body); list filters by either.
    print(f"audit: created by {part['createdBy']}, last updated by {part['updatedBy']}")
    _, _, page = request("GET", f"{api}/api/parts?{urllib.parse.urlencode({'updatedBy': part['updatedBy'], 'modelNumber': 'PY-M'})}", headers=auth)
    print(f"listed by updatedBy: {part['partNumber'] in [p['partNumber'] for p in page['items']]}")

    # The same If-Match again is stale now: 412, and the part keeps the first change.
    expect_problem(
        "stale update",
        412,
        "urn:parts:problem:precondition-failed",
        lambda: request("PATCH", url, {"name": "Lost update"}, {**auth, "If-Match": etag}),
    )
    _, _, part = request("GET", url, headers=auth)
    if part["name"] != "Bracket, galvanised":
        raise RuntimeError(f"the stale update changed the part: {part['name']!r}")

    # A validation failure: 400 with field errors.
    expect_problem(
        "invalid create",
        400,
        "urn:parts:problem:validation-failed",
        lambda: request("POST", f"{api}/api/parts", {"partNumber": f"{part_number}-X", "modelNumber": "PY-M", "name": ""}, auth),
    )

    # Delete with the current ETag: 204; then the part is gone (404).
    status, _, _ = request("DELETE", url, headers={**auth, "If-Match": current_etag})
    print(f"deleted: status {status}")
    expect_problem("read after delete", 404, "urn:parts:problem:not-found", lambda: request("GET", url, headers=auth))
    print("done: every step answered as expected")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ApiError as error:
        print(f"unexpected answer\n{describe_problem(error)}", file=sys.stderr)
        sys.exit(1)
    except (RuntimeError, urllib.error.URLError, KeyError) as error:
        print(f"failed: {error}", file=sys.stderr)
        sys.exit(1)
