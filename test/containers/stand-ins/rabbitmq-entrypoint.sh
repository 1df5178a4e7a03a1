#!/bin/sh
# The official image's contract, in short: the first user is RABBITMQ_DEFAULT_USER with
# RABBITMQ_DEFAULT_PASS, allowed from any host; logs go to the console.
set -eu
cat > /etc/rabbitmq/rabbitmq.conf <<CONF
default_user = ${RABBITMQ_DEFAULT_USER:-guest}
default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}
loopback_users = none
log.console = true
log.file = false
CONF
mkdir -p /var/lib/rabbitmq/mnesia /var/log/rabbitmq
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
exec rabbitmq-server
