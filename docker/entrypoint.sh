#!/bin/sh
# One image, several roles. `web` migrates and renders Asterisk's configuration first.
set -eu
role=${1:-web}
case "$role" in
    web)
        python manage.py migrate --noinput
        python manage.py build_sounds   # the built-in messages, from their texts (unchanged: skipped)
        python manage.py render_asterisk_config
        # --timeout: a CSV export of a year of calls streams for about half a minute here, and a
        # sync worker busy with one request longer than this is killed.
        exec gunicorn config.wsgi:application --bind "${WEB_BIND:-127.0.0.1:8000}" \
            --workers "${WEB_WORKERS:-3}" --timeout "${WEB_TIMEOUT:-300}" --access-logfile - --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" ;;
    stasis) exec python manage.py stasis ;;
    security) exec python manage.py watch_security ;;
    webhooks) exec python manage.py deliver_webhooks ;;
    scheduler)
        # Daily jobs: retention (recordings past their purpose's period), porting deadlines,
        # missed-call digests, the reports' summary of closed days and (once a month) last
        # month's report by e-mail, then wait a day. A failed job is retried the next day;
        # the others still run.
        while true; do
            python manage.py apply_retention --apply || echo "retention run failed; trying again tomorrow" >&2
            python manage.py porting remind || echo "porting reminders failed; trying again tomorrow" >&2
            python manage.py send_digests || echo "missed-call digests failed; trying again tomorrow" >&2
            python manage.py summarise_calls || echo "reports' summary failed; reports count from the calls meanwhile" >&2
            python manage.py send_monthly_report || echo "monthly report failed; trying again tomorrow" >&2
            sleep "${SCHEDULER_INTERVAL_SECONDS:-86400}"
        done ;;
    manage) shift; exec python manage.py "$@" ;;
    *) echo "unknown role $role: web|stasis|security|webhooks|scheduler|manage ..." >&2; exit 2 ;;
esac
