// A relying party built on panva's openid-client (v6), run against a live
// psc-mock: discovery, a CIBA poll-mode login, a code flow with PKCE,
// refresh, userinfo and introspection, as a connecting service does them.
// Every token response goes through openid-client's own checks, ID token
// signatures included (enableNonRepudiationChecks: the JWKS is fetched from
// jwks_uri and the JWS verified).
//
// Configured by the environment (all required):
//   ISSUER         https://127.0.0.1:PORT/auth/realms/esante-wallet
//   CA_FILE        the CA of the server certificate (keys/ca.pem)
//   CERT_FILE      the client certificate, CN = CLIENT_ID (keys/client.pem)
//   KEY_FILE       its key (keys/client.key)
//   CLIENT_ID      psc-mock-client
//   CLIENT_SECRET  psc-mock-secret
//   CONTROL_URL    the control API's base, e.g. https://127.0.0.1:PORT/mock
//   LOGIN_HINT     a professional's idNat, e.g. 899700245667
//   REDIRECT_URI   a redirect URI registered for CLIENT_ID, with auto_login on
//
// Prints one JSON line per step on stdout; exits 1 with a message naming the
// step (and openid-client's error, code and cause) on the first failure.

import { readFileSync } from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';
import * as client from 'openid-client';

const env = Object.fromEntries(
  [
    'ISSUER',
    'CA_FILE',
    'CERT_FILE',
    'KEY_FILE',
    'CLIENT_ID',
    'CLIENT_SECRET',
    'CONTROL_URL',
    'LOGIN_HINT',
    'REDIRECT_URI',
  ].map((name) => {
    const value = process.env[name];
    if (!value) {
      fail('config', new Error(`environment variable ${name} is not set`));
    }
    return [name, value];
  }),
);

const ca = readFileSync(env.CA_FILE);
// The connection presents the client certificate: psc-mock requires it for
// this client (CN = client_id), as PSC does, on top of client_secret_basic.
const mtls = new Agent({
  connect: {
    ca,
    cert: readFileSync(env.CERT_FILE),
    key: readFileSync(env.KEY_FILE),
  },
});
// The browser's side of the code flow: trusts the CA, presents nothing.
const browser = new Agent({ connect: { ca } });

/** openid-client's fetch: every request it makes goes over mTLS. */
const mtlsFetch = (url, options) => undiciFetch(url, { ...options, dispatcher: mtls });

let step = 'config';

function fail(where, error, body) {
  // openid-client's errors: ResponseBodyError and AuthorizationResponseError
  // carry the OAuth `error`, `error_description` (and `status`); ClientError a
  // `code` and, in `cause`, the failed check or the underlying error.
  const detail = {
    step: where,
    ok: false,
    name: error?.name,
    message: error?.message,
    code: error?.code,
    error: typeof error?.error === 'string' ? error.error : undefined,
    error_description: error?.error_description,
    status: error?.status,
    cause: describe(error?.cause),
    body,
  };
  console.log(JSON.stringify(detail));
  console.error(`rp.mjs: step "${where}" failed: ${error?.stack ?? error}`);
  if (detail.cause !== undefined) console.error(`cause: ${JSON.stringify(detail.cause)}`);
  process.exit(1);
}

/** A short, JSON-friendly view of an error's cause (bytes and keys elided). */
function describe(value, depth = 0) {
  if (value === undefined || value === null) return undefined;
  if (depth > 4) return '…';
  if (value instanceof Error) {
    return {
      name: value.name,
      message: value.message,
      code: value.code,
      cause: describe(value.cause, depth + 1),
    };
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return `<${value.byteLength} bytes>`;
  }
  if (value instanceof URLSearchParams) return Object.fromEntries(value);
  if (value instanceof URL) return value.href;
  if (typeof value?.status === 'number' && typeof value?.headers?.get === 'function') {
    return { response_status: value.status, content_type: value.headers.get('content-type') };
  }
  if (typeof CryptoKey !== 'undefined' && value instanceof CryptoKey) {
    return `<CryptoKey ${value.algorithm?.name}>`;
  }
  if (Array.isArray(value)) return value.slice(0, 20).map((item) => describe(item, depth + 1));
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, describe(item, depth + 1)]),
    );
  }
  if (typeof value === 'string' && value.length > 2000) return `${value.slice(0, 2000)}…`;
  return value;
}

function report(fields) {
  console.log(JSON.stringify({ step, ok: true, ...fields }));
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** The claims of a JWT, for reporting only (not verified here). */
function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

async function main() {
  const issuer = new URL(env.ISSUER);

  // 1. Discovery. `use_mtls_endpoint_aliases`: openid-client sends the token,
  // userinfo, backchannel, introspection and revocation requests to
  // discovery's mtls_endpoint_aliases (RFC 8705 section 5).
  step = 'discovery';
  const config = await client.discovery(
    issuer,
    env.CLIENT_ID,
    { use_mtls_endpoint_aliases: true },
    client.ClientSecretBasic(env.CLIENT_SECRET),
    {
      [client.customFetch]: mtlsFetch,
      execute: [client.enableNonRepudiationChecks],
      timeout: 15,
    },
  );
  const server = config.serverMetadata();
  check(server.issuer === env.ISSUER, `issuer ${server.issuer} is ${env.ISSUER}`);
  check(server.mtls_endpoint_aliases?.token_endpoint, 'discovery has mtls_endpoint_aliases');
  report({
    issuer: server.issuer,
    token_endpoint: server.mtls_endpoint_aliases.token_endpoint,
    backchannel_authentication_endpoint:
      server.mtls_endpoint_aliases.backchannel_authentication_endpoint ??
      server.backchannel_authentication_endpoint,
  });

  // 2. CIBA, poll mode: the professional approves (here, the control API).
  step = 'ciba';
  const ack = await client.initiateBackchannelAuthentication(config, {
    scope: 'openid scope_all',
    login_hint: env.LOGIN_HINT,
    binding_message: '42',
    acr_values: 'eidas1',
  });
  check(typeof ack.auth_req_id === 'string', 'auth_req_id');
  const approval = await undiciFetch(
    `${env.CONTROL_URL}/ciba/requests/${encodeURIComponent(ack.auth_req_id)}/approve`,
    { method: 'POST', dispatcher: browser },
  );
  const approvalBody = await approval.text();
  check(approval.ok, `control API approve answered ${approval.status}: ${approvalBody}`);
  const ciba = await client.pollBackchannelAuthenticationGrant(config, ack, undefined, {
    signal: AbortSignal.timeout(30_000),
  });
  const cibaIdToken = ciba.claims();
  check(cibaIdToken, 'the CIBA token response has an ID token');
  check(cibaIdToken.sub, 'the ID token has a sub');
  // The JWKS was fetched for the signature check of enableNonRepudiationChecks.
  check(client.getJwksCache(config)?.jwks?.keys?.length > 0, 'the JWKS was fetched and cached');
  check(ciba.access_token, 'access_token');
  report({
    auth_req_id_length: ack.auth_req_id.length,
    expires_in: ack.expires_in,
    interval: ack.interval,
    token_type: ciba.token_type,
    sub: cibaIdToken.sub,
    acr: cibaIdToken.acr,
    id_token_signature: 'verified against jwks_uri',
    jwks_kids: client.getJwksCache(config).jwks.keys.map((k) => k.kid),
  });

  // 3. Code flow with PKCE S256, state and nonce; the mock logs the
  // login_hint's professional in at once (auto_login) and redirects.
  step = 'authorization_code';
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: env.REDIRECT_URI,
    scope: 'openid scope_all',
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state,
    nonce,
    login_hint: env.LOGIN_HINT,
    acr_values: 'eidas1',
  });
  const redirect = await undiciFetch(authorizationUrl, {
    redirect: 'manual',
    dispatcher: browser,
  });
  const location = redirect.headers.get('location');
  if (redirect.status < 300 || redirect.status > 399 || !location) {
    const body = await redirect.text();
    throw new Error(
      `the authorization endpoint answered ${redirect.status} without a redirect: ${body.slice(0, 500)}`,
    );
  }
  await redirect.body?.cancel();
  const callback = new URL(location, authorizationUrl);
  check(
    `${callback.origin}${callback.pathname}` === env.REDIRECT_URI,
    `the redirect goes to ${env.REDIRECT_URI}, not ${callback.origin}${callback.pathname}`,
  );
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const idToken = tokens.claims();
  check(idToken.nonce === nonce, 'the ID token carries the nonce');
  check(tokens.refresh_token, 'a refresh_token');
  const subject = idToken.sub;
  report({
    callback_params: [...callback.searchParams.keys()],
    token_type: tokens.token_type,
    expires_in: tokens.expiresIn(),
    scope: tokens.scope,
    sub: subject,
    id_token_signature: 'verified against jwks_uri',
  });

  // 4. Refresh: psc-mock rotates refresh tokens, as Keycloak does.
  step = 'refresh';
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  check(refreshed.access_token && refreshed.access_token !== tokens.access_token, 'a new access token');
  check(refreshed.refresh_token, 'a new refresh token');
  const refreshedIdToken = refreshed.claims();
  if (refreshedIdToken) {
    check(refreshedIdToken.sub === subject, 'the refreshed ID token has the same sub');
  }
  report({
    rotated: refreshed.refresh_token !== tokens.refresh_token,
    id_token: Boolean(refreshedIdToken),
    expires_in: refreshed.expiresIn(),
  });

  // 5. Userinfo, with the subject checked by openid-client.
  step = 'userinfo';
  const userinfo = await client.fetchUserInfo(config, refreshed.access_token, subject);
  check(userinfo.sub === subject, 'userinfo sub');
  check(userinfo.SubjectNameID !== undefined, `SubjectNameID in ${Object.keys(userinfo)}`);
  check(userinfo.SubjectRefPro !== undefined, `SubjectRefPro in ${Object.keys(userinfo)}`);
  report({
    sub: userinfo.sub,
    SubjectNameID: userinfo.SubjectNameID,
    claims: Object.keys(userinfo).sort(),
  });

  // 6. Introspection of the current access token.
  step = 'introspection';
  const introspection = await client.tokenIntrospection(config, refreshed.access_token);
  check(introspection.active === true, `active: ${JSON.stringify(introspection)}`);
  check(
    introspection.client_id === env.CLIENT_ID,
    `client_id ${introspection.client_id} is ${env.CLIENT_ID}`,
  );
  report({
    active: introspection.active,
    client_id: introspection.client_id,
    sub: introspection.sub,
    token_type: introspection.token_type,
    cnf: introspection.cnf ? Object.keys(introspection.cnf) : null,
    // Informational: whether the access token is bound to the certificate
    // (RFC 8705 section 3); openid-client just presents the certificate.
    access_token_cnf: Object.keys(claims(refreshed.access_token).cnf ?? {}),
  });

  step = 'done';
  report({ steps: 6 });
}

/** The server's answer behind an openid-client error, when it kept it
 * (a 401 with WWW-Authenticate hides the OAuth error in the body). */
async function responseBody(error) {
  const response = error?.response;
  if (!response || typeof response.clone !== 'function') return undefined;
  try {
    const text = await response.clone().text();
    try {
      return JSON.parse(text);
    } catch {
      return text.slice(0, 2000);
    }
  } catch {
    return undefined;
  }
}

main()
  .then(async () => {
    await Promise.all([mtls.close(), browser.close()]);
  })
  .catch(async (error) => fail(step, error, await responseBody(error)));
