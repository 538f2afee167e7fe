"""The CIBA polling loop of ANS's intermediate server, against psc-mock.

A transcription, with plain requests, of PSCSessionService.cibaAuthentication
in ansforge/psc-edc-proxy-esante (Java, Nimbus OAuth SDK):

  - discovery gives the backchannel authentication and token endpoints;
  - bc-authorize with scope "openid scope_all", login_hint (the idNat),
    binding_message "00", acr_values "eidas1";
  - then: wait `interval` seconds, take it off the remaining `expires_in`,
    poll the token endpoint with the CIBA grant, and go on while the answer
    is not a success and the remaining time is not negative. The error type
    of a refusal is NOT looked at (authorization_pending, slow_down, ... all
    alike), and the interval never changes;
  - from the success: refresh_expires_in and session_state of the token
    response, and session_state of the access token's payload.

Client authentication, AUTH_MODE:
  basic  HTTP Basic client_id:secret, and the certificate on the connection
  cert   the certificate only (tls_client_auth): client_id in the form, no
         secret (ANS's production mode, Nimbus's PKITLSClientAuthentication)

Configuration (environment): ISSUER, CA_FILE, CERT_FILE, KEY_FILE, CLIENT_ID,
CLIENT_SECRET (basic only), LOGIN_HINT, AUTH_MODE (basic | cert; default
basic), CHANNEL (sent as `channel` when set, as ANS's proxy forwards it),
CONTROL_URL (psc-mock's control API, e.g. https://127.0.0.1:8443/mock: when
set, the professional is made to approve APPROVE_AFTER_MS (default 1500) ms
after the request, by a scenario).

Prints each poll and the outcome; exits 1 with "FAILED: ..." on failure or
when the loop ended without tokens.
"""

import base64
import json
import os
import sys
from collections import Counter
from time import monotonic, sleep

import requests

from checks import Failure, check, env, json_body, step

CIBA_GRANT = "urn:openid:params:grant-type:ciba"
SCOPE = "openid scope_all"
TIMEOUT = 10


def jwt_payload(token, what):
    try:
        part = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError) as error:
        raise Failure(f"{what} is not a JWT: {error}") from None


def main():
    issuer = env("ISSUER").rstrip("/")
    ca_file = env("CA_FILE")
    cert = (env("CERT_FILE"), env("KEY_FILE"))
    client_id = env("CLIENT_ID", "psc-mock-client")
    login_hint = env("LOGIN_HINT")
    mode = env("AUTH_MODE", "basic")
    check(mode in ("basic", "cert"), f"AUTH_MODE {mode!r}: basic or cert")

    http = requests.Session()
    # Both modes present the certificate. verify and cert go with each
    # request: a Session's own `verify` loses to REQUESTS_CA_BUNDLE /
    # CURL_CA_BUNDLE when those are set.
    tls = {"verify": ca_file, "cert": cert, "timeout": TIMEOUT}
    extra = {}
    if mode == "basic":
        http.auth = (client_id, env("CLIENT_SECRET", "psc-mock-secret"))
    else:
        extra["client_id"] = client_id

    # The professional answers by themselves, as on their e-CPS app.
    control = os.environ.get("CONTROL_URL", "").rstrip("/")
    if control:
        after_ms = int(os.environ.get("APPROVE_AFTER_MS", "1500"))
        response = requests.put(
            f"{control}/scenarios/{login_hint}",
            json={"action": "approve", "after_ms": after_ms},
            verify=ca_file,
            timeout=TIMEOUT,
        )
        check(
            response.status_code in (200, 201),
            f"control API: scenario refused: HTTP {response.status_code} {response.text[:300]!r}",
        )
        step(f"scenario: {login_hint} approves {after_ms} ms after the request")

    # Discovery, as the proxy reads it (no client certificate needed).
    response = requests.get(
        f"{issuer}/.well-known/openid-configuration", verify=ca_file, timeout=TIMEOUT
    )
    check(response.status_code == 200, f"discovery: HTTP {response.status_code}")
    metadata = json_body(response, "discovery")
    for key in ("backchannel_authentication_endpoint", "token_endpoint"):
        check(key in metadata, f"discovery: no {key}")

    # bc-authorize.
    form = {
        "scope": SCOPE,
        "login_hint": login_hint,
        "binding_message": "00",
        "acr_values": "eidas1",
        **extra,
    }
    if os.environ.get("CHANNEL"):
        form["channel"] = os.environ["CHANNEL"]
    response = http.post(
        metadata["backchannel_authentication_endpoint"], data=form, **tls
    )
    ack = json_body(response, "bc-authorize")
    check(
        response.status_code == 200 and "auth_req_id" in ack,
        f"bc-authorize ({mode}): HTTP {response.status_code} {ack}",
    )
    expires_in = int(ack["expires_in"])
    # Nimbus's CIBARequestAcknowledgement.getMinWaitInterval(): 5 when absent.
    interval = int(ack.get("interval", 5))
    step(f"bc-authorize ({mode}): auth_req_id received, expires_in={expires_in}, interval={interval}")

    # The proxy's loop, as written:
    #   do { sleep(interval); expiresIn -= interval; poll }
    #   while (!success && expiresIn >= 0)
    remaining = expires_in
    polls = 0
    errors = Counter()
    started = monotonic()
    while True:
        sleep(interval)
        remaining -= interval
        response = http.post(
            metadata["token_endpoint"],
            data={"grant_type": CIBA_GRANT, "auth_req_id": ack["auth_req_id"], **extra},
            **tls,
        )
        polls += 1
        if response.status_code == 200:
            step(f"poll {polls} at {monotonic() - started:.1f} s: 200")
            break
        try:
            error = response.json().get("error", "?")
        except ValueError:
            error = f"HTTP {response.status_code}, not JSON"
        errors[error] += 1
        step(f"poll {polls} at {monotonic() - started:.1f} s: {response.status_code} {error} (ignored)")
        if remaining < 0:
            break

    seen = ", ".join(f"{e} x{n}" for e, n in errors.items()) or "none"
    if response.status_code != 200:
        raise Failure(
            f"no tokens after {polls} polls over {monotonic() - started:.1f} s "
            f"(expires_in {expires_in}); errors: {seen}; last answer {response.text[:300]!r}"
        )

    tokens = json_body(response, "token")
    for key in ("access_token", "id_token", "refresh_token"):
        check(tokens.get(key), f"token: no {key} in {sorted(tokens)}")
    # The proxy does Integer.valueOf(json.getAsString("refresh_expires_in")).
    check(
        isinstance(tokens.get("refresh_expires_in"), int),
        f"token: refresh_expires_in {tokens.get('refresh_expires_in')!r} is not an integer",
    )
    session_state = tokens.get("session_state")
    check(
        isinstance(session_state, str) and session_state,
        f"token: session_state {session_state!r}",
    )
    access = jwt_payload(tokens["access_token"], "the access token")
    check(
        access.get("session_state") == session_state,
        f"access token: session_state {access.get('session_state')!r}, "
        f"the token response's is {session_state!r}",
    )
    id_token = jwt_payload(tokens["id_token"], "the ID token")
    check(
        id_token.get("SubjectNameID", login_hint) == login_hint,
        f"ID token: SubjectNameID {id_token.get('SubjectNameID')!r}",
    )
    step(
        f"tokens after {polls} polls ({seen} before): expires_in={tokens.get('expires_in')}, "
        f"refresh_expires_in={tokens['refresh_expires_in']}, scope={tokens.get('scope')!r}, "
        f"session_state {session_state} (same in the access token)"
    )
    step(f"OK: {polls} polls")


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print(f"FAILED: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    except requests.RequestException as error:
        print(f"FAILED: HTTP error: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
