"""What each status means for the journalist, in plain words."""

from django.utils.translation import gettext_lazy as _

from accreditation.models import Status

STATUS_FOR_APPLICANT = {
    Status.SUBMITTED: (
        _("We have received your request."),
        _(
            "Your documents are checked automatically first; then the accreditation team reviews your request."
        ),
    ),
    Status.CHECKING: (
        _("Your documents are being checked."),
        _(
            "This usually takes a few minutes. If a document cannot be used we will ask you for another one here and by e-mail."
        ),
    ),
    Status.IN_REVIEW: (
        _("Your request is with the accreditation team."),
        _("You will receive an e-mail when they have decided, or if they need more information."),
    ),
    Status.INFO_REQUESTED: (
        _("The accreditation team needs more information."),
        _(
            "Read their message below and answer it on this page. Your request returns to the team as soon as you answer."
        ),
    ),
    Status.APPROVED: (
        _("Your accreditation is approved."),
        _(
            "Your badge is being prepared. Collect it in person at the badge desk with your identity document and your press card or mission letter."
        ),
    ),
    Status.BADGE_ISSUED: (
        _("Your accreditation is approved and your badge is ready to print."),
        _(
            "Collect it in person at the badge desk with your identity document and your press card or mission letter."
        ),
    ),
    Status.PRINTED: (
        _("Your badge is printed and waiting for you."),
        _(
            "Collect it in person at the badge desk with your identity document and your press card or mission letter."
        ),
    ),
    Status.COLLECTED: (
        _("You have collected your badge."),
        _("Wear it visibly at all times at the venue."),
    ),
    Status.REJECTED: (
        _("Your request was not accepted."),
        _("The reason is given below. You may write to the accreditation contact address."),
    ),
    Status.WITHDRAWN: (
        _("You withdrew this request."),
        _("Nothing more will happen with it. You may apply again while accreditation is open."),
    ),
    Status.REVOKED: (
        _("Your accreditation was revoked."),
        _("Your badge no longer gives access. You may write to the accreditation contact address."),
    ),
}
