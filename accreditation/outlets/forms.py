"""The outlets' public forms: the registration (with the bot defences of the address step:
honeypot, minimum fill time, proof of work), a crew member, a confirmation answer, and
staff's decision. Rules live in the services; these parse input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from accreditation.apply.forms import AddressForm, BotChecks, file_help
from accreditation.apply.pow import pow_challenge, pow_enabled
from accreditation.models import Document, OutletType, RejectionReason, Role

PROOF_SLOT = Document.Kind.MISSION_LETTER  # checked as a mission letter: PDF, JPEG or PNG


def bootstrap(form: forms.Form) -> None:
    """Bootstrap's classes on the widgets."""
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.HiddenInput) or name == "homepage":
            continue
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs["class"] = css


class OutletForm(BotChecks, forms.Form):
    name = forms.CharField(label=_("Outlet name"), max_length=200)
    outlet_type = forms.ChoiceField(label=_("Outlet type"), choices=OutletType.choices)
    country = LazyTypedChoiceField(label=_("Country"), choices=countries)
    website = forms.URLField(
        label=_("Website"),
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"dir": "ltr", "inputmode": "url"}),
    )
    focal_name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        help_text=_("The outlet's focal point: the person who submits its crew."),
    )
    focal_email = forms.EmailField(
        label=_("Your e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
        help_text=_("The link to your outlet's page is sent here once it is approved."),
    )
    proof = forms.FileField(
        label=_("Proof of the outlet"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
    homepage = forms.CharField(required=False, label=_("Leave this field empty"))
    started = forms.CharField(required=False, widget=forms.HiddenInput)
    altcha = forms.CharField(required=False, widget=forms.HiddenInput)
    too_fast = _("That was very fast. Please check your answers, then send the form again.")
    clean_altcha = AddressForm.clean_altcha  # the same proof of work as the address step

    def __init__(self, *args, kept_proof=None, proof_error: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.bot_checks_init()
        bootstrap(self)
        self.challenge = pow_challenge() if pow_enabled() else ""
        self.kept_proof = kept_proof  # a PendingUpload from an earlier refused post
        self.proof_error = proof_error
        self.fields["proof"].help_text = " ".join(
            [
                str(_("The outlet's registration, or a letter from its editor on letterhead.")),
                str(file_help(PROOF_SLOT)),
            ]
        )

    def clean(self):
        cleaned = super().clean()
        if self.proof_error:
            self.add_error("proof", self.proof_error)
        elif not cleaned.get("proof") and self.kept_proof is None:
            self.add_error(
                "proof",
                _("Attach the outlet's registration or a letter from its editor."),
            )
        return cleaned


class CrewMemberForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "off", "dir": "ltr"})
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("ask", _("Ask for more")), ("reject", _("Reject"))],
    )
    message = forms.CharField(
        label=_("Message to the focal point"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CrewDecisionForm(forms.Form):
    """Staff's decision on the outlet's crew: the whole crew or the members ticked."""

    scope = forms.ChoiceField(
        label=_("Whom"),
        choices=[("all", _("The whole crew")), ("selected", _("The members ticked"))],
        initial="selected",
        widget=forms.RadioSelect,
    )
    members = forms.MultipleChoiceField(
        label=_("Members"), required=False, widget=forms.CheckboxSelectMultiple
    )
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    reason = forms.ModelChoiceField(
        label=_("Reason for a rejection"), queryset=RejectionReason.objects.all(), required=False
    )
    text = forms.CharField(
        label=_("Message (a rejection's reason, or a note on the approval)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [(str(m.pk), _member_label(m)) for m in members]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == "selected" and not cleaned.get("members"):
            self.add_error("members", _("Tick at least one member, or choose the whole crew."))
        return cleaned

    def member_ids(self) -> list[int] | None:
        if self.cleaned_data["scope"] == "all":
            return None
        return [int(pk) for pk in self.cleaned_data["members"]]


def _member_label(member) -> str:
    """A crew member as the reviewer picks them: name, role, and their request if any."""
    req = member.request
    where = f"{req.reference}, {req.get_status_display()}" if req else _("not submitted yet")
    return f"{member.name} — {member.get_role_display()} — {where}"


class QuotaRaiseForm(forms.Form):
    people = forms.IntegerField(label=_("People for this outlet"), min_value=1, max_value=999)


class MergeForm(forms.Form):
    """Another registration of the same outlet, whose requests and crew move to this one."""

    other = forms.ModelChoiceField(label=_("Other registration"), queryset=None)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args, outlet=None, **kwargs):
        super().__init__(*args, **kwargs)
        from accreditation.outlets.models import Outlet

        others = Outlet.objects.exclude(status="rejected")
        if outlet is not None:
            others = others.filter(event_id=outlet.event_id).exclude(pk=outlet.pk)
        self.fields["other"].queryset = others.order_by("name")


class GroupForm(forms.Form):
    """Staff's grouping of one request: under this outlet (by its reference), or split off."""

    reference = forms.CharField(label=_("Request reference"), max_length=20)
