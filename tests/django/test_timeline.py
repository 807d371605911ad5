"""A call's timeline reads as sentences in the office's language (pbx/timeline.py): every kind
of event the core or the history writes has one, with its details in words, never JSON."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from pbx.callflow.vocabulary import HistoryKind, StepKind
from pbx.timeline import SENTENCES, cause_text, describe

EVERY_KIND = [*StepKind, *HistoryKind]


@pytest.mark.parametrize("kind", EVERY_KIND, ids=str)
def test_every_kind_has_a_polish_sentence_without_codes(kind):
    assert kind in SENTENCES
    with translation.override("pl"):
        text = describe(kind, {})
    with translation.override("en"):
        source = describe(kind, {})
    assert text and text != source, (kind, text)  # translated
    assert not re.search(r"[{}\[\]]|%\(|\b[a-z]+_[a-z_]+\b", text), text  # no JSON, placeholders or codes


def test_sentences_name_people_numbers_keys_and_reasons():
    with translation.override("pl"):
        assert describe("started", {"caller": "+48601234567", "called": "+48221234567"}) == (
            "Połączenie od +48 601 234 567 na numer +48 22 123 45 67"
        )
        assert describe("menu_choice", {"digit": "0"}) == "Menu: wybrano 0"
        assert describe("ring_queue", {"targets": ["101", "102"], "queue": "Sprzedaż"}) == (
            "Kolejka Sprzedaż: dzwoni do: 101, 102"
        )
        assert describe("transferred", {"by": "102", "to": "101", "attended": True}) == (
            "102: konsultacja z 101, potem przekazanie połączenia"
        )
        assert describe("hours", {"state": "closed", "why": "outside opening hours"}) == (
            "Godziny otwarcia: zamknięte (poza godzinami otwarcia)"
        )
        assert describe("ended", {"outcome": "missed", "cause": 16}).startswith("Koniec połączenia: ")
        assert "zwykłe zakończenie rozmowy" in describe("ended", {"outcome": "missed", "cause": 16})
        assert describe("resumed", {"where": "bridged"}) == "Przerwane przez restart centrali; rozmowa trwała dalej"
        assert cause_text(16) == "zwykłe zakończenie rozmowy" and cause_text(99) == "przyczyna 99"


def test_a_kind_it_does_not_know_reads_as_its_label_and_bad_details_never_raise():
    assert describe("something_new", {"x": 1}, label="Coś nowego") == "Coś nowego"
    assert describe("ring_queue", {"targets": None}) == describe("ring_queue", {"targets": None})
    assert describe("hours", None)
