from django import template

from accreditation.texts import STATUS_FOR_APPLICANT

register = template.Library()


@register.simple_tag
def status_headline(status: str) -> str:
    return STATUS_FOR_APPLICANT[status][0]


@register.simple_tag
def status_next(status: str) -> str:
    return STATUS_FOR_APPLICANT[status][1]
