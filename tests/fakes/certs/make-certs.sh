#!/bin/sh
# Regenerates the test certificates fake_upstream serves with --tls-cert/--tls-key. Not run by the
# build: the generated files are committed. Everything is valid for 100 years and for loopback only.
#   ca.pem, ca-key.pem                 test CA (trust it with curl --cacert ca.pem / the gateway's CA file)
#   server.pem, server-key.pem         signed by the CA, SAN IP:127.0.0.1, IP:::1, DNS:localhost
#   untrusted.pem, untrusted-key.pem   self-signed, same SANs, signed by no trusted CA (TLS failure tests)
# Usage: tests/fakes/certs/make-certs.sh   (writes into the directory it lives in)
set -eu
cd "$(dirname "$0")"
days=36500
san="subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -subj "/CN=sovgw test CA" -keyout ca-key.pem -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=localhost" -keyout server-key.pem -out "$tmp/server.csr"
printf '%s\n' "$san" "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=serverAuth" > "$tmp/server.ext"
openssl x509 -req -in "$tmp/server.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
  -CAserial "$tmp/ca.srl" -days "$days" -extfile "$tmp/server.ext" -out server.pem

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -subj "/CN=localhost" -keyout untrusted-key.pem -out untrusted.pem \
  -addext "$san" -addext "extendedKeyUsage=serverAuth"

chmod 644 ./*.pem
echo "certificates written to $(pwd)"
