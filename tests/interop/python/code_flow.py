"""An authorization code flow with PKCE against psc-mock, driven by authlib.

authlib (with requests) plays the relying party as a Python service would:
it builds the authorization URL (PKCE S256, nonce, login_hint, acr_values),
follows nothing (the server's redirect is read as the browser would get it),
exchanges the code with client_secret_basic over mutual TLS, validates the
ID token the way authlib's own OpenID client does (signature against the
JWKS with joserfc, then authlib.oidc.core.CodeIDToken: iss, aud, exp, iat,
nonce, azp, at_hash), and reads userinfo with the access token and NO client
certificate, as ANS's own services call it.

With a SCOPE without "openid", the token response must carry an access token
and no ID token; the ID token checks are skipped and userinfo's answer is
printed, whatever it is.

Configuration (environment):
  ISSUER         https://127.0.0.1:8443/auth/realms/esante-wallet
  CA_FILE        the CA of the server certificate (keys/ca.pem)
  CERT_FILE      the client certificate (keys/client.pem)
  KEY_FILE       its key (keys/client.key)
  CLIENT_ID      psc-mock-client
  CLIENT_SECRET  psc-mock-secret
  REDIRECT_URI   a redirect URI registered for the client
  LOGIN_HINT     the professional's idNat (899700245667); the client must
                 log them in without the page (auto_login, or a scenario)
  SCOPE          default "openid scope_all"

Prints one line per step; exits 1 with "FAILED: ..." on the first failure.
"""

import sys
import time
from urllib.parse import parse_qsl, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from checks import Failure, check, env, json_body, step

TIMEOUT = 10
# Allowed clock skew when checking exp and iat.
LEEWAY = 30


def main():
    issuer = env("ISSUER").rstrip("/")
    ca_file = env("CA_FILE")
    cert = (env("CERT_FILE"), env("KEY_FILE"))
    client_id = env("CLIENT_ID", "psc-mock-client")
    client_secret = env("CLIENT_SECRET", "psc-mock-secret")
    redirect_uri = env("REDIRECT_URI")
    login_hint = env("LOGIN_HINT")
    scope = env("SCOPE", "openid scope_all")
    oidc = "openid" in scope.split()

    # 1. Discovery.
    response = requests.get(
        f"{issuer}/.well-known/openid-configuration", verify=ca_file, timeout=TIMEOUT
    )
    check(response.status_code == 200, f"discovery: HTTP {response.status_code}")
    metadata = json_body(response, "discovery")
    check(
        metadata.get("issuer") == issuer,
        f"discovery: issuer {metadata.get('issuer')!r}, expected {issuer!r}",
    )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        check(key in metadata, f"discovery: no {key}")
    step(f"discovery: issuer {metadata['issuer']}")

    # 2. The authorization request, as authlib builds it.
    session = OAuth2Session(
        client_id,
        client_secret,
        scope=scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    code_verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"],
        code_verifier=code_verifier,
        nonce=nonce,
        login_hint=login_hint,
        acr_values="eidas1",
    )
    query = dict(parse_qsl(urlsplit(url).query))
    check(
        query.get("code_challenge_method") == "S256" and query.get("code_challenge"),
        f"authlib sent no S256 code_challenge: {url}",
    )
    step(f"authorization request: scope={scope!r} login_hint={login_hint} (PKCE S256)")

    # 3. The browser's leg: the server redirects to the client at once.
    response = requests.get(url, allow_redirects=False, verify=ca_file, timeout=TIMEOUT)
    check(
        response.status_code in (302, 303),
        f"authorization: HTTP {response.status_code}, expected a redirect "
        f"(is auto_login on for {client_id}?): {response.text[:300]!r}",
    )
    location = response.headers.get("Location", "")
    check(
        location.split("?")[0] == redirect_uri,
        f"authorization: redirected to {location!r}, not {redirect_uri!r}",
    )
    params = dict(parse_qsl(urlsplit(location).query))
    check(
        "error" not in params,
        f"authorization: error {params.get('error')!r}: {params.get('error_description')!r}",
    )
    check(params.get("state") == state, f"authorization: state {params.get('state')!r}")
    if "iss" in params:
        # RFC 9207: when present, it must be the issuer.
        check(params["iss"] == issuer, f"authorization: iss {params['iss']!r}")
    check("code" in params, f"authorization: no code in {location!r}")
    step(
        f"authorization: {response.status_code} to the redirect URI with a code "
        f"(state ok, iss {'ok' if 'iss' in params else 'absent'}, "
        f"session_state {'present' if 'session_state' in params else 'absent'})"
    )

    # 4. The code for tokens: client_secret_basic, client certificate, PKCE.
    try:
        token = session.fetch_token(
            metadata["token_endpoint"],
            authorization_response=location,
            state=state,
            code_verifier=code_verifier,
            cert=cert,
            verify=ca_file,
            timeout=TIMEOUT,
        )
    except Exception as error:  # authlib raises OAuthError with the server's error
        raise Failure(f"token: authlib refused the exchange: {type(error).__name__}: {error}") from None
    check(token.get("access_token"), f"token: no access_token in {sorted(token)}")
    check(
        str(token.get("token_type", "")).lower() == "bearer",
        f"token: token_type {token.get('token_type')!r}",
    )
    step(
        f"token: access_token, expires_in={token.get('expires_in')}, "
        f"refresh_token {'present' if token.get('refresh_token') else 'absent'}, "
        f"id_token {'present' if token.get('id_token') else 'absent'}, "
        f"scope={token.get('scope')!r}"
    )

    if oidc:
        # 5. The ID token, as authlib's OpenID client checks it.
        check(token.get("id_token"), "token: scope has openid but no id_token came")
        response = requests.get(metadata["jwks_uri"], verify=ca_file, timeout=TIMEOUT)
        check(response.status_code == 200, f"JWKS: HTTP {response.status_code}")
        key_set = KeySet.import_key_set(json_body(response, "JWKS"))
        algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        try:
            decoded = jwt.decode(
                token["id_token"],
                key=key_set,
                registry=JWSRegistry(algorithms=algorithms, strict_check_header=False),
            )
        except Exception as error:
            raise Failure(
                f"ID token: signature refused: {type(error).__name__}: {error}"
            ) from None
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "values": [issuer]},
                "aud": {"essential": True, "values": [client_id]},
                "exp": {"essential": True},
            },
            {"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
        )
        try:
            claims.validate(now=int(time.time()), leeway=LEEWAY)
        except Exception as error:
            raise Failure(
                f"ID token: authlib refused the claims: {type(error).__name__}: {error}"
            ) from None
        check(claims.get("nonce") == nonce, "ID token: nonce missing")
        step(
            f"ID token: valid (kid {decoded.header.get('kid')}, alg {decoded.header.get('alg')}, "
            f"iss, aud, exp, iat, nonce{', at_hash' if 'at_hash' in claims else ''}; "
            f"sub {claims['sub']}, acr {claims.get('acr')!r})"
        )
    else:
        check(
            not token.get("id_token"),
            f"token: an id_token came for scope {scope!r} (no openid)",
        )
        step("ID token: none, as expected without openid")

    # 6. Userinfo: the access token alone, no client certificate.
    response = session.get(
        metadata["userinfo_endpoint"], verify=ca_file, timeout=TIMEOUT
    )
    if not oidc:
        step(
            f"userinfo (no certificate): HTTP {response.status_code} "
            f"{response.headers.get('WWW-Authenticate', '')} {response.text[:300]!r} "
            f"(not checked without openid)"
        )
        step("OK")
        return
    check(
        response.status_code == 200,
        f"userinfo without a client certificate: HTTP {response.status_code} "
        f"{response.headers.get('WWW-Authenticate', '')} {response.text[:300]!r}",
    )
    info = json_body(response, "userinfo")
    missing = [k for k in ("SubjectNameID", "SubjectRefPro", "SubjectOrganization") if k not in info]
    check(not missing, f"userinfo: {', '.join(missing)} missing from {sorted(info)}")
    check(
        info["SubjectNameID"] == login_hint,
        f"userinfo: SubjectNameID {info['SubjectNameID']!r}, expected {login_hint!r}",
    )
    check(
        info.get("sub") == claims["sub"],
        f"userinfo: sub {info.get('sub')!r} is not the ID token's {claims['sub']!r}",
    )
    step(
        f"userinfo (no certificate): SubjectNameID {info['SubjectNameID']}, "
        f"SubjectOrganization {info['SubjectOrganization']!r}, SubjectRefPro present"
    )
    step("OK")


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print(f"FAILED: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    except requests.RequestException as error:
        print(f"FAILED: HTTP error: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
