#!/bin/sh
# Wait until Centrala has rendered the configuration (the web service does on start), then run
# Asterisk in the foreground as its own user.
set -eu
waited=0
until [ -f /etc/asterisk/modules.conf ] && [ -f /etc/asterisk/pjsip.conf ]; do
    [ "$waited" -lt 120 ] || { echo "no rendered configuration in /etc/asterisk after 120 s" >&2; exit 1; }
    sleep 2; waited=$((waited + 2))
done
# Nothing in the configuration may send Asterisk looking for outside names it cannot resolve.
grep -q "$(hostname)" /etc/hosts || echo "127.0.0.1 $(hostname)" >> /etc/hosts
chown -R asterisk:asterisk /var/log/asterisk /var/spool/asterisk /var/lib/asterisk
# -U alone (no -G): Asterisk then keeps the user's groups, centrala among them, which reads
# the configuration's secret files (ari.conf, pjsip.conf, the TLS key).
exec asterisk -f -U asterisk
