#!/bin/sh
# One image, several roles. `web` migrates and renders Asterisk's configuration first.
set -eu
role=${1:-web}

# Every role but web waits for web to bring the database to this version's schema.
wait_for_schema() {
    waited=0
    until check=$(python manage.py migrate --check 2>&1); do
        [ "$waited" -lt "${SCHEMA_WAIT_SECONDS:-300}" ] || {
            echo "the database is not at this version's schema after $waited s (is web running its migrations?)" >&2
            echo "$check" | tail -n 5 >&2
            exit 1
        }
        sleep 3; waited=$((waited + 3))
    done
}
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
            --workers "${WEB_WORKERS:-3}" --timeout "${WEB_TIMEOUT:-300}" --access-logfile - --no-control-socket --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" ;;
    stasis)
        wait_for_schema
        # this host's prompts from the storage first (with several Asterisk hosts, each its own)
        python manage.py sync_sounds || echo "prompts not synced from the storage; playing what is here" >&2
        exec python manage.py stasis ;;
    security) wait_for_schema; exec python manage.py watch_security ;;
    # Background jobs (jobs/schedule.py): webhook delivery, retention at 02:00 office time, the
    # reports' summary, digests, porting reminders, the monthly report; retried when they fail.
    worker) wait_for_schema; exec python manage.py qcluster ;;
    manage) shift; exec python manage.py "$@" ;;
    *) echo "unknown role $role: web|stasis|security|worker|manage ..." >&2; exit 2 ;;
esac
