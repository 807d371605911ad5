"""A porting request's life. Theory of operation:

    draft --validate--> validated --submit--> submitted --accept--> accepted --schedule--> scheduled
      ^                     |                    |                                            |
      +------- edit --------+      reject (reason) --> rejected --edit--> draft          complete
    any open state --withdraw (until the cut-off)--> withdrawn                                v
                                                                                          completed
Every move is a do_* function here: it checks the move is allowed, writes the request, its
numbers' status and the audit log in one transaction, and raises PortingError naming what is
wrong otherwise. Completion makes the numbers active (routable) and re-renders Asterisk's config.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from company_numbers.models import CompanyNumber, PortingRequest
from company_numbers.porting.calendar import add_working_days, is_working_day, next_working_day
from company_numbers.porting.checks import identifier_problems, name_warnings
from company_numbers.porting.rules import porting_rules
from compliance.audit import do_audit
from pbx.asterisk_config import config_changed
from pbx.phone import InvalidPhoneNumber, to_e164

S = PortingRequest.State
MOVES: dict[str, set[str]] = {
    S.DRAFT: {S.VALIDATED, S.WITHDRAWN},
    S.VALIDATED: {S.SUBMITTED, S.DRAFT, S.WITHDRAWN},
    S.SUBMITTED: {S.ACCEPTED, S.REJECTED, S.WITHDRAWN},
    S.ACCEPTED: {S.SCHEDULED, S.WITHDRAWN},
    S.REJECTED: {S.DRAFT},
    S.SCHEDULED: {S.COMPLETED, S.WITHDRAWN},
    S.COMPLETED: set(),
    S.WITHDRAWN: set(),
}
OPEN = {state for state, moves in MOVES.items() if moves}  # not yet completed or withdrawn
ADVICE = [
    gettext_lazy(
        "Do not terminate your contract with the current operator yourself: the port ends it. "
        "A contract ended first can make the port impossible."
    ),
    gettext_lazy("Keep a recent invoice from the current operator: the name and identifiers must match it exactly."),
]


class PortingError(Exception):
    """A move that is not allowed now, with the reason."""


@dataclass(frozen=True)
class Findings:
    problems: list[str]  # stop the request
    warnings: list[str]  # for a person to look at


@dataclass(frozen=True)
class Deadline:
    what: str
    due: date
    note: str = ""
    key: str = ""  # stable name: decision, withdrawal, porting, activation


def check(request: PortingRequest, today: date) -> Findings:
    """Everything wrong with the request, at once."""
    values = {f: getattr(request, f) for f in ("pesel", "nip", "regon", "register_number", "id_document")}
    problems = identifier_problems(request.subscriber_type, values)
    if not request.numbers.exists():
        problems.append(_("The request names no number to port."))
    for ported in request.numbers.select_related("number"):
        if ported.number.status == CompanyNumber.Status.ACTIVE:
            problems.append(_("%(number)s is already active here: nothing to port.") % {"number": ported.number.e164})
    day = request.requested_date
    if day <= today:
        problems.append(_("The requested porting date %(date)s is not in the future.") % {"date": day})
    elif not is_working_day(day):
        problems.append(
            _("The requested porting date %(date)s is not a working day; the next one is %(next)s.")
            % {"date": day, "next": next_working_day(day)}
        )
    if request.subscriber_type != PortingRequest.SubscriberType.PERSON and not request.address:
        problems.append(_("The registered seat's address is missing."))
    warnings = name_warnings(request.subscriber_name, request.name_on_record)
    end = request.contract_end_date
    if end and end < today:
        months = porting_rules().months_to_port_after_contract_end
        warnings.append(
            _(
                "The old contract ended on %(end)s: a number can be ported for about %(months)s month(s) "
                "after that, if the operator keeps it."
            )
            % {"end": end, "months": months}
        )
    if end and request.requested_date < end and request.notice == PortingRequest.Notice.WITH_NOTICE:
        warnings.append(
            _(
                "The port is asked for before the contract ends (%(end)s) with notice: the operator will "
                "port on the contract's end, or the subscriber pays for ending it early."
            )
            % {"end": end}
        )
    return Findings(problems, warnings)


def deadlines(request: PortingRequest) -> list[Deadline]:
    """What is due when, from the request's dates and the rules in porting/rules.py."""
    rules, out = porting_rules(), []
    if request.submitted_on and request.state == S.SUBMITTED and request.pk is not None:
        mobile = request.numbers.filter(number__kind=CompanyNumber.Kind.MOBILE).exists()
        days = rules.decision_working_days_mobile if mobile else rules.decision_working_days_fixed
        out.append(
            Deadline(
                _("operator decides"),
                add_working_days(request.submitted_on, days),
                _("%(n)s working days from submission") % {"n": days},
                "decision",
            )
        )
    port = request.port_date or request.requested_date
    if port is None:  # a request being written has no dates yet: nothing is due
        return out
    if request.state in OPEN and request.state != S.REJECTED:
        cutoff = port - timedelta(days=rules.withdrawal_days_before)
        note = _("%(n)s days before porting") % {"n": rules.withdrawal_days_before}
        out.append(Deadline(_("last day to withdraw"), cutoff, note, "withdrawal"))
        out.append(Deadline(_("porting date"), port, _("the old contract ends that day"), "porting"))
        days = rules.activation_working_days
        out.append(
            Deadline(
                _("number working here"),
                add_working_days(port, days),
                _("%(n)s working day(s) after the porting date") % {"n": days},
                "activation",
            )
        )
    return out


def do_create_request(fields: dict[str, object], numbers: list[str], actor: str) -> PortingRequest:
    """A draft with its numbers (E.164 or as people write them). The numbers are reserved as
    'porting in'. Raises PortingError, writing nothing, on a bad number or a number in use."""
    try:
        e164s = list(dict.fromkeys(to_e164(str(n)) for n in numbers))
    except InvalidPhoneNumber as exc:
        raise PortingError(str(exc)) from exc
    if not e164s:
        raise PortingError(_("Name at least one number to port."))
    with transaction.atomic():
        request = PortingRequest(**fields)
        request.full_clean(exclude=["state"])
        request.save()
        for e164 in e164s:
            number, created = CompanyNumber.objects.get_or_create(
                e164=e164, defaults={"status": CompanyNumber.Status.PORTING_IN, "label": "porting in"}
            )
            if not created and number.status == CompanyNumber.Status.ACTIVE:
                raise PortingError(_("%(number)s is already an active company number here.") % {"number": e164})
            request.numbers.create(number=number)
        do_audit(actor, "porting.create", f"porting:{request.pk}", numbers=e164s)
    return request


def do_edit_request(request: PortingRequest, changes: dict[str, object], actor: str) -> PortingRequest:
    """Change a draft's fields (not its numbers). A request past draft is moved back to draft
    first, so a submitted request is never changed under the operator's feet."""
    if request.state != S.DRAFT:
        raise PortingError(_("Only a draft can be edited; this request is %(state)s.") % {"state": request.state})
    with transaction.atomic():
        for field, value in changes.items():
            setattr(request, field, value)
        request.full_clean(exclude=["state"])
        request.save()
        do_audit(actor, "porting.edit", f"porting:{request.pk}", fields=sorted(changes))
    return request


def do_move(
    request: PortingRequest, to: str, actor: str, today: date, *, reason: str = "", port_date: date | None = None
) -> PortingRequest:
    """Move the request to state `to`. Raises PortingError with every reason it cannot."""
    if to not in MOVES:
        raise PortingError(_("Unknown state %(state)r: one of %(states)s.") % {"state": to, "states": ", ".join(MOVES)})
    if to not in MOVES[request.state]:
        allowed = ", ".join(sorted(MOVES[request.state])) or _("none (it is final)")
        raise PortingError(
            _("A %(state)s request cannot become %(to)s; allowed: %(allowed)s.")
            % {"state": request.state, "to": to, "allowed": allowed}
        )
    _check_move(request, to, today, reason, port_date)
    with transaction.atomic():
        _apply_move(request, to, today, reason, port_date)
        request.save()
        do_audit(actor, f"porting.{to}", f"porting:{request.pk}", reason=reason, port_date=str(port_date or ""))
    if to == S.COMPLETED:
        # The numbers route through the Stasis app already; Asterisk's files follow.
        config_changed("porting completed")
    return request


def _check_move(request: PortingRequest, to: str, today: date, reason: str, port_date: date | None) -> None:
    if to == S.VALIDATED and (problems := check(request, today).problems):
        raise PortingError("The request is not ready:\n- " + "\n- ".join(problems))
    if to in (S.REJECTED, S.WITHDRAWN) and not reason.strip():
        raise PortingError(_("Say why the request is %(to)s (reason).") % {"to": to})
    if to == S.SCHEDULED:
        if port_date is None:
            raise PortingError(_("Give the porting date the operator confirmed."))
        if not is_working_day(port_date):
            raise PortingError(_("%(date)s is not a working day.") % {"date": port_date})
    if to == S.WITHDRAWN:
        cutoff = (request.port_date or request.requested_date) - timedelta(days=porting_rules().withdrawal_days_before)
        if today > cutoff:
            raise PortingError(_("Too late to withdraw: the last day was %(date)s.") % {"date": cutoff})
    if to == S.COMPLETED and today < (request.port_date or today):
        raise PortingError(_("The porting date %(date)s has not come yet.") % {"date": request.port_date})


def _apply_move(request: PortingRequest, to: str, today: date, reason: str, port_date: date | None) -> None:
    request.state = to
    if to == S.SUBMITTED:
        request.submitted_on = today
    if to in (S.REJECTED, S.WITHDRAWN):
        request.reason = reason.strip()
    if to == S.SCHEDULED:
        request.port_date = port_date
    numbers = CompanyNumber.objects.filter(ports__request=request)
    if to == S.COMPLETED:
        numbers.update(status=CompanyNumber.Status.ACTIVE)
    if to == S.WITHDRAWN:
        # Numbers still waiting for this port are kept aside, not routed, until someone decides.
        numbers.filter(status=CompanyNumber.Status.PORTING_IN).update(status=CompanyNumber.Status.RESERVED)
