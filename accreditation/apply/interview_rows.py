"""The interview requests asked with the application: the status page's form (accreditation.
interviews), one optional row each."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accreditation.interviews.forms import InterviewAskForm

# How many interview requests the application form takes (blank rows, no JavaScript needed);
# more are asked from the status page.
INTERVIEW_ROWS = 3


class ApplyInterviewForm(InterviewAskForm):
    """One interview request on the application form: the status page's form, optional (a row
    left blank asks for nothing). Its prefix ("interview-2-topic") keeps rows apart."""

    def __init__(self, data=None, *, event, number: int):
        super().__init__(
            data,
            event=event,
            prefix=f"interview-{number}",
            empty_permitted=True,
            use_required_attribute=False,
        )
        self.number = number
        self.fields["target"].empty_label = "—"

    @property
    def legend(self) -> str:
        return _("Interview request %(number)d") % {"number": self.number}

    @property
    def used(self) -> bool:
        """Something was typed or chosen in this row (it is shown open)."""
        return self.is_bound and self.has_changed()
