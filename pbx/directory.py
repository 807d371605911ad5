"""Build the call-flow core's snapshot of the configuration from the database."""

from company_numbers.models import CompanyNumber
from pbx.callflow.scenario import Directory, NumberPlan


def load_directory() -> Directory:
    plans = {
        number.e164: NumberPlan(
            number=number.e164, greeting=number.greeting.media_uri, record_seconds=number.record_seconds
        )
        for number in CompanyNumber.objects.select_related("greeting")
    }
    return Directory(numbers=plans)
