"""The core's words and the history's choices are the same words."""

from __future__ import annotations

from pbx.callflow.vocabulary import Direction, HistoryKind, HungUpBy, Outcome, RingKind, StepKind


def test_the_models_choices_are_the_cores_words():
    from pbx.models import Call

    assert {d.value for d in Direction} == set(Call.Direction.values)
    assert {o.value for o in Outcome} == set(Call.Outcome.values)
    hung_up_by = Call._meta.get_field("hung_up_by")
    assert {h.value for h in HungUpBy} == {value for value, _ in hung_up_by.choices or ()}


def test_every_timeline_line_the_core_or_the_history_writes_is_a_choice_with_a_label():
    from pbx.models import CallEvent

    assert {k.value for k in StepKind} | {k.value for k in HistoryKind} == set(CallEvent.Kind.values)
    assert not {k.value for k in StepKind} & {k.value for k in HistoryKind}
    assert all(label and label != value for value, label in CallEvent.Kind.choices)


def test_every_ring_kind_has_its_timeline_line():
    assert {StepKind.ring(kind) for kind in RingKind} == {k for k in StepKind if k.startswith("ring_")}
