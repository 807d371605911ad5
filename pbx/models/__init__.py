from .callbacks import CallbackTask
from .calls import Call, CallEvent, CallNote
from .people import Device, DutyShift, Extension, Weekday, WeeklyDuty, extension_number_validator
from .policies import CallingPolicy
from .provisioning import SetupLink
from .scenarios import (
    Closure,
    Destination,
    Menu,
    MenuOption,
    OpeningInterval,
    Prompt,
    Queue,
    QueueMember,
    QueueMusic,
    Scenario,
    Schedule,
)

__all__ = [
    "Call",
    "CallEvent",
    "CallNote",
    "CallbackTask",
    "CallingPolicy",
    "Closure",
    "Destination",
    "Device",
    "DutyShift",
    "Extension",
    "Menu",
    "MenuOption",
    "OpeningInterval",
    "Prompt",
    "Queue",
    "QueueMember",
    "QueueMusic",
    "Scenario",
    "Schedule",
    "SetupLink",
    "Weekday",
    "WeeklyDuty",
    "extension_number_validator",
]
