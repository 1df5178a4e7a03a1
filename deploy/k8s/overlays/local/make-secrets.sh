#!/bin/sh
# Writes the local overlay's Secrets, as env files for Kustomize's secretGenerator, with random
# passwords: secrets/*.env next to this script (git-ignored). Nothing to install: /dev/urandom, and
# OpenSSL for the logging stack's certificates.
#
#   deploy/k8s/overlays/local/make-secrets.sh
#
# Idempotent: a file that exists is kept, so running it again never changes a password that a
# database or the broker was initialised with. amqp.env (the services' AMQP_URL) is derived
# from queue.env on every run, so the two always agree. Delete secrets/ (and the PVCs) to start over.
set -eu

umask 077
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
mkdir -p "$dir"

# 48 hex digits (192 bits): safe inside a URL as they are.
random() {
  od -An -N24 -tx1 /dev/urandom | tr -d ' \n'
}

# write FILE CONTENT: creates secrets/FILE unless it exists.
write() {
  if [ -e "$dir/$1" ]; then
    echo "kept     secrets/$1"
  else
    printf '%s\n' "$2" >"$dir/$1"
    echo "created  secrets/$1"
  fi
}

# value FILE KEY: the value of KEY in secrets/FILE.
value() {
  sed -n "s/^$2=//p" "$dir/$1"
}

password=$(random)
write auth-postgres.env "username=auth
password=$password
database-url=postgres://auth:$password@auth-postgres.auth.svc.cluster.local:5432/auth"

password=$(random)
write position-tracker-postgres.env "username=position_tracker
password=$password
database-url=postgres://position_tracker:$password@position-tracker-postgres.position-tracker.svc.cluster.local:5432/position_tracker"

password=$(random)
write fleet-events-postgres.env "username=fleet_events
password=$password
database-url=postgres://fleet_events:$password@fleet-events-postgres.fleet-events.svc.cluster.local:5432/fleet_events"

password=$(random)
write media-postgres.env "username=media
password=$password
database-url=postgres://media:$password@media-postgres.media.svc.cluster.local:5432/media"

password=$(random)
write notification-postgres.env "username=notification
password=$password
database-url=postgres://notification:$password@notification-postgres.notification.svc.cluster.local:5432/notification"

# The mail server's login (notification's SMTP_USER and SMTP_PASSWORD): empty, as Mailpit (the
# local overlay's mail server) wants none. For a real server, put its login here and re-apply.
write notification-smtp.env "username=
password="

# The first admin's password (auth's CONVOY_ADMIN_PASSWORD), to sign in as `admin`.
write auth-admin.env "password=$(random)"

write queue.env "username=convoy
password=$(random)
erlang-cookie=$(random)"

# The gateway's rate-limit counters (Valkey): its password, and the URL the gateways use.
write gateway-valkey.env "password=$(random)"
printf 'password=%s\nurl=redis://:%s@gateway-valkey.gateway.svc.cluster.local:6379\n' \
  "$(value gateway-valkey.env password)" "$(value gateway-valkey.env password)" >"$dir/gateway-valkey.env"

# The logging stack (components/logging): OpenSearch's users' passwords, and Fluent Bit's copy of its own.
write opensearch.env "admin-password=$(random)
fluentbit-password=$(random)
dashboards-password=$(random)"
printf 'password=%s\n' "$(value opensearch.env fluentbit-password)" >"$dir/opensearch-fluent-bit.env"
echo "derived  secrets/opensearch-fluent-bit.env (from opensearch.env)"

# OpenSearch's certificates (TLS on its API and between its nodes), with OpenSSL: a CA of its own
# (10 years), the nodes' certificate (every name they are reached by) and the admin's
# (securityadmin.sh), each 2 years, keys in PKCS#8 as OpenSearch reads them. Kept once made.
tls="$dir/opensearch-tls"
if [ -e "$tls/ca.crt" ]; then
  echo "kept     secrets/opensearch-tls/"
else
  mkdir -p "$tls"
  # certificate NAME SUBJECT [EXTENSIONS]: NAME.key and NAME.crt, signed by the CA.
  certificate() {
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tls/$1.key" 2>/dev/null
    openssl req -new -key "$tls/$1.key" -subj "$2" -out "$tls/$1.csr"
    printf '%s\n' "${3:-basicConstraints=CA:FALSE}" >"$tls/$1.ext"
    openssl x509 -req -in "$tls/$1.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
      -days 730 -sha256 -extfile "$tls/$1.ext" -out "$tls/$1.crt" 2>/dev/null
    rm "$tls/$1.csr" "$tls/$1.ext"
  }
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/ca.key" -subj "/O=convoy/OU=logging/CN=convoy-logging-ca" \
    -days 3650 -sha256 -out "$tls/ca.crt" 2>/dev/null
  certificate tls "/O=convoy/OU=logging/CN=opensearch" "basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:opensearch,DNS:opensearch.logging.svc,DNS:opensearch.logging.svc.cluster.local,DNS:*.opensearch-headless.logging.svc.cluster.local,DNS:localhost"
  certificate admin "/O=convoy/OU=logging/CN=admin" "basicConstraints=CA:FALSE
extendedKeyUsage=clientAuth"
  rm -f "$tls/ca.srl"
  echo "created  secrets/opensearch-tls/ (ca.crt, tls.crt, tls.key, admin.crt, admin.key)"
fi

url="amqp://$(value queue.env username):$(value queue.env password)@queue.queue.svc.cluster.local:5672"
printf 'url=%s\n' "$url" >"$dir/amqp.env"
echo "derived  secrets/amqp.env (from queue.env)"
echo "the admin's password: sed -n 's/^password=//p' '$dir/auth-admin.env'"
