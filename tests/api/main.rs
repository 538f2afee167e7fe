//! The black-box test suite: every test starts a real psc-mock server on a
//! free port (real TLS, real client certificates) and talks HTTP to it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "a test suite: a failed unwrap is a failed test, and it measures real time"
)]

mod actionize; // the conformance suite's automated approval call
mod architecture; // the invariants no lint states: imports in one direction, no statics
mod bad_input; // malformed requests: always a JSON error, nothing changes
mod binary; // the psc-mock executable: banner, keys generate, configuration errors
mod browser; // a real headless Chromium drives the login page
mod channel; // Keycloak's HTTP authentication channel, with a device simulator
mod ciba; // the CIBA poll flow and its outcomes
mod codeflow; // the authorization code flow with PKCE
mod compare; // psc-mock compare between two servers set up differently, and alike
mod conformance; // one test per requirement of CIBA Core, OIDC Core, RFC 8705, 7662, 7009
mod container; // the Dockerfile's and compose file's commands, run without a container engine
mod control; // the /mock control API
mod cross_site; // the control API against cross-site pages: Origin, body type, Host
mod discovery; // discovery documents and JWKS
mod docs; // the README walkthrough, the docs' examples and device simulator, run as written
mod faults; // injected latency, errors, drops and bad tokens
mod fidelity; // PSC as observed: discovery values, realm descriptor, response modes, plain OAuth 2.0
mod golden; // full claim documents compared with tests/golden/
mod helpers; // spawn_app and HTTP clients with each test identity
mod identities; // the annuaire through the control API
mod interop; // a whole code flow driven by the openidconnect crate
mod interop_apache; // Apache mod_auth_openidc configured as ANS's proof of concept
mod interop_node; // openid-client (Node.js): CIBA, code flow, refresh, userinfo, introspection
mod interop_python; // authlib's code flow, and ANS's CIBA polling loop in Python
mod introspect; // introspection and revocation
mod issuer; // the issuer and URLs: fixed, from the request, backchannel only, PSC layout
mod journal; // the request journal and its filters
mod keys; // the JWKS, several signing keys, rotation, kids, ephemeral keys
mod library; // psc_mock::MockServer, as a connecting service's tests use it
mod lifetimes; // token and CIBA lifetimes per client, the clock moved forward
mod logout; // browser and server-side logout
mod mtls; // client authentication and PSC's certificate rule
mod refresh; // the refresh-token grant, rotation and session lifetimes
mod resilience; // garbage handshakes, slow clients, a flood, graceful shutdown
mod scenarios; // scripted professionals: matchers, steps, files, fixtures
mod service; // the client_credentials grant
mod tokens; // token shapes, verified with independent libraries
mod ui; // the e-CPS simulator page and the history of finished requests
mod userinfo; // userinfo and bearer token checks
