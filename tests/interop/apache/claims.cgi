#!/bin/sh
# The page mod_auth_openidc protects: prints, as text, one NAME=value line
# per claim it passes (OIDC_CLAIM_*: the ID token's and userinfo's claims,
# JSON objects as compact JSON) and the user it authenticated.
printf 'Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n\r\n'
printf 'REMOTE_USER=%s\n' "$REMOTE_USER"
printf 'HTTP_X_REMOTE_USER=%s\n' "$HTTP_X_REMOTE_USER"
env | grep '^OIDC_CLAIM_' | LC_ALL=C sort
