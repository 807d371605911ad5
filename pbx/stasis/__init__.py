"""The runtime: what `manage.py stasis` runs beside Asterisk, one process per PBX.

    app.py          the pump: ARI events in, one task per call, commands out
    worker.py       one call's task: its events in order, its timers
    routes.py       which call an event belongs to (caller channels, legs, bridges)
    executor.py     a command of the call-flow core as an ARI request
    probe.py        whether a staff phone on a call really uses TLS and SRTP
    reconciler.py   after every (re)connect and periodically: calls, bridges, recordings lost
    call_store.py   where facts go: facts.py (the writer, in order, through outages) and
                    ingest.py (recordings into storage), sharing database.py's one thread
    offline.py      the spool and the saved configuration that carry it through outages
    directory.py    the configuration from the database as the core's Directory
    health.py       the health report `manage.py healthcheck stasis` reads

Nothing here is imported by the web side except directory.py (the admin's simulator runs
the same configuration).
"""
