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
INTERRUPTED = "centrala-interrupted"  # a caller taken back after the app restarted
# A staff phone's own services (pbx/callflow/services.py), by ServicePrompts field.
SERVICES = {
    "pin": "centrala-pin",
    "pin_wrong": "centrala-pin-wrong",
    "no_pin": "centrala-no-pin",
    "not_allowed": "centrala-not-allowed",
    "record": "centrala-record",
    "review": "centrala-review",
    "saved": "centrala-saved",
    "listen_keys": "centrala-listen-keys",
    "heard_ones": "centrala-heard-ones",
    "no_more": "centrala-no-more",
    "goodbye": "goodbye",
    "dnd_on": "centrala-dnd-on",
    "dnd_off": "centrala-dnd-off",
    "nothing_to_pick_up": "centrala-nothing-to-pick-up",
    "forward_on": "centrala-forward-on",
    "forward_off": "centrala-forward-off",
    "forward_refused": "centrala-forward-refused",
}
# "You have n new messages": "centrala-new-0" .. "-9", then "centrala-new-more".
NEW_MESSAGES = [f"centrala-new-{n}" for n in range(10)] + ["centrala-new-more"]
NEW_MESSAGE_COUNTS = [
    "Nie masz nowych wiadomości.",
    "Masz jedną nową wiadomość.",
    "Masz dwie nowe wiadomości.",
    "Masz trzy nowe wiadomości.",
    "Masz cztery nowe wiadomości.",
    "Masz pięć nowych wiadomości.",
    "Masz sześć nowych wiadomości.",
    "Masz siedem nowych wiadomości.",
    "Masz osiem nowych wiadomości.",
    "Masz dziewięć nowych wiadomości.",
    "Masz ponad dziewięć nowych wiadomości.",
]
# What an office without the built-in messages hears instead (Asterisk's English stock sounds).
STOCK_INSTEAD = {
    FALLBACK: "hello-world",
    QUEUE_CALLBACK: "silence/1",
    INTERRUPTED: "pls-hold-while-try",
    **dict.fromkeys(QUEUE_PLACES, "queue-periodic-announce"),
    "centrala-pin": "vm-password",
    "centrala-pin-wrong": "vm-incorrect",
    "centrala-no-pin": "cannot-complete-as-dialed",
    "centrala-not-allowed": "cannot-complete-as-dialed",
    "centrala-record": "vm-rec-temp",
    "centrala-review": "vm-review",
    "centrala-saved": "vm-msgsaved",
    "centrala-listen-keys": "vm-instructions",
    "centrala-heard-ones": "vm-Old",
    "centrala-no-more": "vm-nomore",
    "centrala-dnd-on": "do-not-disturb",
    "centrala-dnd-off": "de-activated",
    "centrala-nothing-to-pick-up": "cannot-complete-as-dialed",
    "centrala-forward-on": "call-fwd-unconditional",
    "centrala-forward-off": "de-activated",
    "centrala-forward-refused": "cannot-complete-as-dialed",
    **dict.fromkeys(NEW_MESSAGES, "vm-youhave"),
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
    INTERRUPTED: "Przepraszamy, połączenie zostało na chwilę przerwane. Już się Tobą zajmujemy.",
    QUEUE_PLACES[-1]: "Przed Tobą czeka jeszcze kilka osób. Prosimy o cierpliwość, odbierzemy jak najszybciej.",
    # a staff phone's own services
    "centrala-pin": "Podaj PIN i zatwierdź krzyżykiem.",
    "centrala-pin-wrong": "Nieprawidłowy PIN.",
    "centrala-no-pin": "Ten telefon nie ma jeszcze PIN-u. Poproś o niego osobę, która zarządza centralą.",
    "centrala-not-allowed": "Nie masz uprawnień do nagrywania komunikatów.",
    "centrala-record": "Po sygnale nagraj komunikat. Na koniec naciśnij krzyżyk.",
    "centrala-review": "Aby zachować to nagranie, naciśnij jeden. Aby nagrać je ponownie, naciśnij dwa.",
    "centrala-saved": "Komunikat został zapisany. Do widzenia.",
    "centrala-listen-keys": "Aby odsłuchać wiadomość ponownie, naciśnij jeden. Aby przejść do następnej, naciśnij dwa.",
    "centrala-heard-ones": "Wiadomości odsłuchane wcześniej.",
    "centrala-no-more": "To wszystkie wiadomości.",
    "centrala-dnd-on": "Tryb nie przeszkadzać jest włączony. Połączenia do Ciebie trafią tam, gdzie je przekierowano.",
    "centrala-dnd-off": "Tryb nie przeszkadzać jest wyłączony. Twoje telefony znowu dzwonią.",
    "centrala-nothing-to-pick-up": "Teraz nic nie dzwoni. Nie ma połączenia do odebrania.",
    "centrala-forward-on": "Przekierowanie jest włączone. Połączenia do Ciebie trafią pod wybrany numer.",
    "centrala-forward-off": "Przekierowanie jest wyłączone. Twoje telefony znowu dzwonią.",
    "centrala-forward-refused": "Na ten numer nie można przekierować połączeń.",
    **dict(zip(NEW_MESSAGES, NEW_MESSAGE_COUNTS, strict=True)),
}
