"""Centrala's built-in messages in Polish, as text: `manage.py build_sounds` reads them out
(espeak-ng, or SPEECH_COMMAND) into the sounds library at build time (make run, make test,
the production image). Keyed by the Asterisk sound name each one replaces, so an office whose
callers' language is Polish (PROMPT_LANGUAGE=pl) hears these wherever Centrala or the office
names the English stock sound."""

from __future__ import annotations

FALLBACK = "centrala-fallback"  # played when an office prompt's file is missing
ORDINALS = ["pierwsze", "drugie", "trzecie", "czwarte", "piąte", "szóste", "siódme", "ósme", "dziewiąte"]
# A caller's place in a queue: "centrala-queue-1" .. "-9", then "centrala-queue-more".
QUEUE_PLACES = [f"centrala-queue-{n}" for n in range(1, len(ORDINALS) + 1)] + ["centrala-queue-more"]
QUEUE_CALLBACK = "centrala-queue-callback"  # after the place, where the queue offers a callback
# What an office without the built-in messages hears instead (Asterisk's English stock sounds).
STOCK_INSTEAD = {
    FALLBACK: "hello-world",
    QUEUE_CALLBACK: "silence/1",
    **dict.fromkeys(QUEUE_PLACES, "queue-periodic-announce"),
}

POLISH: dict[str, str] = {
    FALLBACK: "Dzień dobry, dziękujemy za telefon.",
    # the call flow's own messages
    "vm-intro": "Prosimy zostawić wiadomość po sygnale. Po nagraniu można się rozłączyć.",
    "option-is-invalid": "Wybrano niewłaściwy klawisz.",
    "auth-thankyou": "Dziękujemy. Oddzwonimy najszybciej, jak to możliwe.",
    "ss-noservice": "Ten numer nie jest obsługiwany.",
    "cannot-complete-as-dialed": "Tego połączenia nie można wykonać.",
    # messages offices often pick from the stock sounds
    "hello-world": "Dzień dobry, dziękujemy za telefon.",
    "to-call-this-number": "Jeśli chcesz, abyśmy oddzwonili na ten numer, naciśnij jeden.",
    "please-try-call-later": "Biuro jest teraz zamknięte. Prosimy zadzwonić później.",
    "pls-hold-while-try": "Prosimy o chwilę cierpliwości, łączymy.",
    "all-circuits-busy-now": "Wszyscy konsultanci są teraz zajęci. Prosimy o cierpliwość.",
    "queue-thankyou": "Dziękujemy za cierpliwość. Zaraz ktoś odbierze.",
    "privacy-prompt": "Rozmowa może być nagrywana. Szczegóły na naszej stronie internetowej.",
    "goodbye": "Do widzenia.",
    # a caller waiting in a queue, every so often
    **{
        name: f"Twoje połączenie jest {ordinal} w kolejce. Prosimy o cierpliwość."
        for name, ordinal in zip(QUEUE_PLACES, ORDINALS, strict=False)
    },
    QUEUE_CALLBACK: "Jeśli wolisz, abyśmy oddzwonili, naciśnij jeden.",
    QUEUE_PLACES[-1]: "Przed Tobą czeka jeszcze kilka osób. Prosimy o cierpliwość, odbierzemy jak najszybciej.",
}
