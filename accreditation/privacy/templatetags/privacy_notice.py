"""``{% consent_notice event as notice %}``: the data-protection notice the form shows now, in
the active language, kept with its version and hash (accreditation.privacy.notice)."""

from django import template
from django.utils.translation import get_language

from accreditation.privacy.notice import notice_current

register = template.Library()


@register.simple_tag
def consent_notice(event):
    return notice_current(event=event, language=(get_language() or "en")[:2])
