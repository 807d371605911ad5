"""The core's words and the history's choices are the same words."""

from __future__ import annotations

from pbx.callflow.vocabulary import Direction, HungUpBy, Outcome


def test_the_models_choices_are_the_cores_words():
    from pbx.models import Call

    assert {d.value for d in Direction} == set(Call.Direction.values)
    assert {o.value for o in Outcome} == set(Call.Outcome.values)
    hung_up_by = Call._meta.get_field("hung_up_by")
    assert {h.value for h in HungUpBy} == {value for value, _ in hung_up_by.choices}
