"""A staff member's own page (/me/): not the admin, for the people who answer. Their calls with
notes and click-to-call, the voicemail left for them, their callbacks, do-not-disturb and
forwarding, their phones. Every change goes through the writers the admin uses, so it is
checked and audited the same way; nobody here sees or changes anyone else's things."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from compliance.audit import client_address
from pbx.access import callbacks_visible_to, own_calls
from pbx.actions import do_add_call_note
from pbx.ari.client import AriError
from pbx.callbacks import CallbackError, do_click_to_call, do_complete_callback, do_start_callback
from pbx.extensions import do_set_forwarding
from pbx.models import CallbackTask, Device, Extension
from recordings.access import audio_response, do_fetch_audio
from recordings.crypto import RecordingUnreadable
from staff.forms import CallNumberForm, ForwardingForm, NoteForm, RingOrderForm
from staff.mine import my_callbacks, my_calls, my_extension, my_messages
from voicemail.models import Message

LOGIN = "staff:login"
NOT_ANSWERING = gettext_lazy("The call could not be started: the phone system is not answering. Try again in a minute.")
RINGING = gettext_lazy("Your phone is ringing: answer it and %(number)s is called.")
View = Callable[..., HttpResponseBase]


def with_extension(view: Callable[..., HttpResponseBase]) -> View:
    """Signed in, with an active extension of their own (passed to the view)."""

    @login_required(login_url=LOGIN)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        extension = my_extension(request.user)
        if extension is None:
            return render(request, "staff/no_extension.html", status=403)
        return view(request, extension, *args, **kwargs)

    return wrapper


def who(request: HttpRequest) -> str:
    return request.user.get_username()


def home(request: HttpRequest, extension: Extension, forwarding: ForwardingForm | None = None) -> HttpResponse:
    user = request.user
    context = {
        "extension": extension,
        "forwarding": forwarding or ForwardingForm(extension),
        "devices": extension.devices.all(),
        "calls": my_calls(user),
        "voicemail": my_messages(user),
        "callbacks": my_callbacks(user, extension),
    }
    return render(request, "staff/home.html", context, status=200 if forwarding is None else 400)


page = with_extension(home)


@require_POST
@with_extension
def set_forwarding(request: HttpRequest, extension: Extension) -> HttpResponseBase:
    form = ForwardingForm(extension, request.POST)
    if form.is_valid() and form.save(who(request)):
        messages.success(request, _("Saved: your calls now go as shown below."))
        return redirect("staff:home")
    return home(request, extension, forwarding=form)


@require_POST
@with_extension
def set_dnd(request: HttpRequest, extension: Extension) -> HttpResponseBase:
    """The one-tap switch at the top of the page."""
    on = request.POST.get("dnd") == "on"
    do_set_forwarding(extension, who(request), dnd=on)
    messages.success(request, _("Do not disturb is on.") if on else _("Do not disturb is off: your phones ring."))
    return redirect("staff:home")


@require_POST
@with_extension
def set_ring_order(request: HttpRequest, extension: Extension, pk: int) -> HttpResponseBase:
    device = get_object_or_404(Device, pk=pk, extension=extension)
    form = RingOrderForm(request.POST)
    if form.is_valid():
        form.save(device, who(request))
        messages.success(
            request,
            _("Saved: %(name)s rings %(s)d s after your first phone.")
            % {"name": device.name, "s": device.ring_after_seconds},
        )
    else:
        messages.error(request, _("Ring delay: give a whole number of seconds from 0 to 60."))
    return redirect("staff:home")


@require_POST
@with_extension
def call_number(request: HttpRequest, extension: Extension) -> HttpResponseBase:
    """Click-to-call: my phone rings; when I answer, the number is called from the company's."""
    form = CallNumberForm(request.POST)
    if not form.is_valid():
        for error in form["number"].errors:
            messages.error(request, str(error))
        return redirect("staff:home")
    number = form.cleaned_data["number"]
    return attempt(request, lambda: do_click_to_call(number, extension, who(request)), RINGING % {"number": number})


@require_POST
@with_extension
def call_back(request: HttpRequest, extension: Extension, pk: str) -> HttpResponseBase:
    task = my_callback(request, pk)
    return attempt(
        request, lambda: do_start_callback(task, extension.number, who(request)), RINGING % {"number": task.number}
    )


@require_POST
@with_extension
def callback_done(request: HttpRequest, extension: Extension, pk: str) -> HttpResponseBase:
    task = my_callback(request, pk)
    done = _("Marked as called back: %(number)s.") % {"number": task.number}
    return attempt(request, lambda: do_complete_callback(task, who(request)), done)


def attempt(request: HttpRequest, action: Callable[[], object], success: str) -> HttpResponseBase:
    """Do it and say how it went, in a sentence; back to the page either way."""
    try:
        action()
    except CallbackError:
        messages.error(request, _("This callback is already done or cancelled."))
    except AriError:
        messages.error(request, NOT_ANSWERING)
    else:
        messages.success(request, success)
    return redirect("staff:home")


def my_callback(request: HttpRequest, pk: str) -> CallbackTask:
    """A callback this person may work on (see pbx.access), else 404 or 403."""
    task = get_object_or_404(callbacks_visible_to(request.user), pk=pk)
    if not request.user.has_perm("pbx.change_callbacktask"):
        raise PermissionDenied
    return task


@require_POST
@with_extension
def add_note(request: HttpRequest, extension: Extension, pk: str) -> HttpResponseBase:
    call = get_object_or_404(own_calls(request.user), pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        do_add_call_note(call, request.user, form.cleaned_data["text"], source=client_address(request))
        messages.success(request, _("Note saved."))
    else:
        messages.error(request, _("A note needs some text (at most 4000 characters)."))
    return redirect(f"{reverse('staff:home')}#call-{call.pk}")


@with_extension
def message_audio(request: HttpRequest, extension: Extension, pk: int) -> HttpResponseBase:
    """A voicemail message of mine, played in the page: audited, and then it counts as heard."""
    message = Message.objects.filter(pk=pk).select_related("recording").first()
    if message is None:
        raise Http404
    try:
        data = do_fetch_audio(request.user, message.recording, client_address(request), who(request), "recording.play")
    except RecordingUnreadable:
        return HttpResponse(_("This message was erased."), status=410, content_type="text/plain; charset=utf-8")
    return audio_response(message.recording, data)
