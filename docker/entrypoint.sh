#!/bin/sh
# One image, several roles. `web` migrates and renders Asterisk's configuration first.
set -eu
role=${1:-web}
case "$role" in
    web)
        python manage.py migrate --noinput
        python manage.py build_sounds   # the built-in messages, from their texts (unchanged: skipped)
        # the office's prompts, from the storage (another host's changes); never a reason not to start
        python manage.py sync_sounds || echo "prompts not synced from the storage; playing what is here" >&2
        python manage.py render_asterisk_config
        # --timeout: a CSV export of a year of calls streams for about half a minute here, and a
        # sync worker busy with one request longer than this is killed.
        exec gunicorn config.wsgi:application --bind "${WEB_BIND:-127.0.0.1:8000}" \
            --workers "${WEB_WORKERS:-3}" --timeout "${WEB_TIMEOUT:-300}" --access-logfile - --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" ;;
    stasis)
        # this host's prompts from the storage first (with several Asterisk hosts, each its own)
        python manage.py sync_sounds || echo "prompts not synced from the storage; playing what is here" >&2
        exec python manage.py stasis ;;
    security) exec python manage.py watch_security ;;
    # Background jobs (jobs/schedule.py): webhook delivery, retention at 02:00 office time, the
    # reports' summary, digests, porting reminders, the monthly report; retried when they fail.
    worker) exec python manage.py qcluster ;;
    manage) shift; exec python manage.py "$@" ;;
    *) echo "unknown role $role: web|stasis|security|worker|manage ..." >&2; exit 2 ;;
esac
