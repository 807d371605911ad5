"""Channels that move between calls: the only place where the pump, which sees every call,
gives one call's channel to another. Each call then does its own half in its own task.

- Pickup and taking back a parked call: a staff phone's new channel (it dialled *8 or *70)
  goes to the call that rings (pbx/callflow/pickup.py, parking.py).
- Attended transfer: the colleague consulted moves from the consultation call to the call
  the person answered (pbx/callflow/transfers.py).

In memory, no I/O: it runs inside `dispatch`, before either call sees the next event."""

from __future__ import annotations

from pbx.callflow import events as e
from pbx.callflow import parking, pickup, transfers
from pbx.callflow.scenario import Directory
from pbx.callflow.stasis_args import StasisArgs

from .routes import Routes
from .worker import CallWorker


def pickup_or_unpark(routes: Routes[CallWorker], directory: Directory, event: e.StasisStart, args: StasisArgs) -> bool:
    """A staff phone dialled *8 (or *8<number>) while a colleague's phone rings, or *70 (or
    *70<slot>) while a call is parked: its channel goes to that call as a phone picking it
    up. False when it is neither, or nothing rings or waits (then it is a call of its own,
    which says so)."""
    if args.kind != "internal":
        return False
    want, slot = pickup.wanted(args.dialled), parking.wanted_slot(args.dialled)
    picker = event.channel.caller_number
    person = directory.people.get(picker)
    if (want is None and slot is None) or person is None or not (args.over_tls or person.plain_sip):
        return False
    workers = {id(w.call): w for w in routes.calls()}
    calls = [w.call for w in workers.values()]
    chosen = parking.choose(calls, slot) if slot is not None else pickup.choose(calls, picker, want or "")
    if chosen is None:
        return False
    worker = workers[id(chosen)]
    routes.legs[event.channel_id] = worker
    worker.feed(
        e.PickupRequested(at=event.at, channel_id=chosen.channel_id, picker_channel=event.channel_id, extension=picker)
    )
    return True


def attended_transfer(routes: Routes[CallWorker], event: e.AttendedTransferRequested) -> None:
    """A phone on two calls asked to join them: the colleague's channel is routed to the kept
    call at once (its next events go there), then each call is told its half. Anything else
    is declined by the call the REFER came on."""
    source, other = routes.find(event.channel_id), routes.find(event.replaces) if event.replaces else None
    if source is None:
        return
    found = transfers.roles(source.call, event.channel_id, other.call, event.replaces) if other else None
    if other is None or found is None:
        source.feed(event)
        return
    kept, consult = found
    kept_worker, consult_worker = (source, other) if kept is source.call else (other, source)
    colleague = consult.legs.connected or ""  # roles() saw it connected
    agent_leg = event.channel_id if kept_worker is source else event.replaces
    routes.legs[colleague] = kept_worker
    consult_worker.feed(
        e.ConsultHandedOver(
            at=event.at, channel_id=consult.channel_id, leg=colleague, to_caller=kept.caller, source=event.channel_id
        )
    )
    kept_worker.feed(
        e.ConsultJoins(
            at=event.at,
            channel_id=kept.channel_id,
            leg=colleague,
            label=consult.legs[colleague],
            from_bridge=consult.legs.bridge_id,
            agent_leg=agent_leg,
            source=event.channel_id,
        )
    )
