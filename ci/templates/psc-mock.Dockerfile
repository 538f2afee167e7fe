# psc-mock with your own files, for a CI service (which can mount nothing):
# build it from a folder of your repository holding the /config layout of
# psc-mock's image, push it to your registry, and use it as the service.
#
#   ci/psc-mock/psc-mock.toml   the configuration, naming the files below by
#                               their /config paths (psc-mock's
#                               config/container.toml is one) and declaring
#                               your clients ([[clients]])
#   ci/psc-mock/keys/           server.pem, server.key, ca.pem (your client
#                               certificates' CA), signing-key.pem
#   ci/psc-mock/annuaire.json   your fixture professionals
#
#   docker build -f psc-mock.Dockerfile -t registry.example/psc-mock-ours ci/psc-mock
#
# Keys left out of psc-mock.toml keep the image's built-in test PKI and
# professionals. With your own server certificate, also copy its CA to
# /app/keys/ca.pem, the image's health check trusts that file.
FROM ghcr.io/psc-mock/psc-mock:0.1
COPY . /config/
ENV PSC_MOCK_CONFIG=/config/psc-mock.toml
