# psc-mock in a container, for CI pipelines and compose files.
#
#   docker build -t psc-mock .                 # the server (the last stage)
#   docker build --target example-client -t psc-mock-example-client .
#
# The server listens on 0.0.0.0:8443 (TLS and mTLS), with the issuer
# https://psc-mock:8443/auth/realms/esante-wallet; set PSC_MOCK_PUBLIC_URL to
# the URL your clients use instead. Arguments after the image name are
# psc-mock's own flags (psc-mock --help), e.g. --auto-approve-after-ms 0.
#
# /config is where to mount your own files (all optional):
#   /config/psc-mock.toml    configuration: set PSC_MOCK_CONFIG=/config/psc-mock.toml;
#                            its [pki] and [annuaire] keys name the files below
#   /config/keys/            server.pem, server.key, ca.pem (client CAs), signing-key.pem
#   /config/annuaire.json    fixture professionals ([annuaire] file)
#   /config/scenarios.json   scenarios and faults: set PSC_MOCK_SCENARIOS=/config/scenarios.json
# Without them, the test PKI and professionals built into the binary are used.
# config/container.toml is such a configuration file; docker-compose.yml
# shows the mounts.

# --- build -------------------------------------------------------------------
# Rust 1.89 at least (the crate's rust-version, actix-web's minimum);
# 1.95 is the toolchain the project was last built and tested with.
FROM rust:1.95-bookworm AS builder
WORKDIR /src
# The context is what .dockerignore lets through: the manifest, the lock file,
# the sources and the files they embed (keys/, fixtures/, config/).
COPY . .
# `dist`: the release profile with whole-program LTO (Cargo.toml).
RUN cargo build --profile dist --locked

# The example CIBA client of docker-compose.yml, built on top of the above
# (it needs the dev-dependencies, which the server's image does not).
FROM builder AS example-builder
RUN cargo build --profile dist --locked --example ciba_client

# --- runtime base --------------------------------------------------------------
# Debian slim, the same release as the build image: the binaries link glibc
# (aws-lc is linked in statically), and the health check needs curl, which a
# distroless image lacks.
FROM debian:bookworm-slim AS runtime-base
# Unpinned on purpose: Debian's archive keeps only the latest patch of a
# package, so a pinned version would stop building at its next security fix.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 psc-mock \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin psc-mock \
 && mkdir -p /app/keys /config
WORKDIR /app
# The public, test-only CA and default client certificate: the health check
# and the example client use them; `docker cp` them out for your own client.
COPY keys/ca.pem keys/client.pem keys/client.key /app/keys/

# --- the example client (docker-compose.yml's example-client) -----------------
FROM runtime-base AS example-client
COPY --from=example-builder /src/target/dist/examples/ciba_client /usr/local/bin/ciba_client
USER 10001:10001
# Paths and a URL, no secret (the key file is the public test key).
# hadolint ignore=DL3064
ENV ISSUER=https://psc-mock:8443/auth/realms/esante-wallet \
    CA=/app/keys/ca.pem \
    CLIENT_CERT=/app/keys/client.pem \
    CLIENT_KEY=/app/keys/client.key
ENTRYPOINT ["ciba_client"]

# --- the server (the default target) ----------------------------------------
FROM runtime-base AS runtime
COPY --from=builder /src/target/dist/psc-mock /usr/local/bin/psc-mock
USER 10001:10001
# Settings from the environment (PSC_MOCK_<SECTION>__<KEY>); a CI service
# that cannot pass arguments sets more the same way, e.g.
# PSC_MOCK_CIBA__DEFAULT_ACTION=approve.
ENV PSC_MOCK_SERVER__BIND=0.0.0.0:8443 \
    PSC_MOCK_SERVER__PUBLIC_URL=https://psc-mock:8443
EXPOSE 8443
ENTRYPOINT ["psc-mock"]
CMD []
# /mock/health stays open even with a control token. With your own server
# certificate, mount its CA at /app/keys/ca.pem or override this check.
HEALTHCHECK --interval=2s --timeout=3s --start-period=10s --retries=5 \
  CMD ["curl", "-fsS", "--cacert", "/app/keys/ca.pem", "https://localhost:8443/mock/health"]
