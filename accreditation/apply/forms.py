"""The public application form. Rules live in accreditation.apply (submission, pending); this
module parses input."""

from __future__ import annotations

import phonenumbers
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout
from django import forms
from django.conf import settings
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField, LazyTypedChoiceField

from accreditation.apply import submission
from accreditation.apply.bot_checks import BotChecks
from accreditation.apply.interview_rows import INTERVIEW_ROWS, ApplyInterviewForm
from accreditation.apply.pow import pow_challenge, pow_check, pow_enabled
from accreditation.interviews.models import InterviewTarget
from accreditation.models import AccreditationRequest, Document
from config.logs import security_event


def date_input() -> forms.DateInput:
    """A new widget each time: the form's rendering marks its own widget invalid, and one
    shared at module level carried that mark to every later visitor's form."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


FILE_SLOTS = (
    Document.Kind.IDENTITY,
    Document.Kind.IDENTITY_BACK,
    Document.Kind.PRESS_CARD,
    Document.Kind.PRESS_CARD_BACK,
    Document.Kind.MISSION_LETTER,
    Document.Kind.PHOTO,
)


class CountryChoiceField(LazyTypedChoiceField):
    """django-countries' form field, checking a code against the countries by key: its own check
    walks the ~250 translated choices (three times per application form)."""

    countries = None  # the model field's Countries, set by _formfield

    def valid_value(self, value) -> bool:
        if self.countries is None:  # pragma: no cover - always set by _formfield
            return super().valid_value(value)
        return str(value) in self.countries


def _formfield(db_field, **kwargs):
    if isinstance(db_field, CountryField):
        field = db_field.formfield(choices_form_class=CountryChoiceField, **kwargs)
        field.countries = db_field.countries
        return field
    return db_field.formfield(**kwargs)


LEFT_TO_RIGHT = (
    "email",
    "phone",
    "date_of_birth",
    "id_document_expiry",
    "id_document_number",
    "outlet_website",
    "press_card_number",
    "press_card_year",
    "filming_authorisation_number",
)


def file_help(slot: str) -> str:
    kinds = "JPEG, PNG" if slot == Document.Kind.PHOTO else "PDF, JPEG, PNG"
    text = _("%(kinds)s, up to %(mb)s MB.") % {"kinds": kinds, "mb": settings.PRESSPASS_MAX_FILE_MB}
    if slot == Document.Kind.PHOTO:
        portrait = _(
            "A recent colour portrait, 3:4, face centred, plain light background, no sunglasses; "
            "at least 354×472 pixels."
        )
        text = f"{portrait} {text}"
    return text


def too_large() -> str:
    """What a file over the limits gets, on every form that takes files."""
    return _("This file is larger than %(mb)s MB (or the total of your files is too large).") % {
        "mb": settings.PRESSPASS_MAX_FILE_MB
    }


class ApplicationForm(BotChecks, forms.ModelForm):
    identity = forms.FileField(label=_("Identity document (passport or ID card)"), required=False)
    identity_back = forms.FileField(label=_("Its back, if it has one (an ID card)"), required=False)
    press_card = forms.FileField(label=_("Press card"), required=False)
    press_card_back = forms.FileField(label=_("Its back, if it has one"), required=False)
    mission_letter = forms.FileField(label=_("Mission letter from your outlet"), required=False)
    photo = forms.FileField(label=_("Portrait photo"), required=False)
    consent = forms.BooleanField(
        label=_("I agree to the processing of my personal data as described above."),
        required=True,
        error_messages={"required": _("We cannot process a request without your consent.")},
    )
    outlet_website = forms.URLField(
        label=_("outlet website"), required=False, assume_scheme="https"
    )
    single_name = forms.BooleanField(
        label=_("I have a single name (no family name)"),
        required=False,
        help_text=_("Write it under “given names” or “family names”: it is printed on its own."),
    )
    # A honeypot: hidden from people, filled by robots.
    homepage = forms.CharField(required=False, label=_("Leave this field empty"))
    # When the form was shown, signed: a robot sends it at once (filled_too_fast).
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = AccreditationRequest
        fields = submission.REQUEST_FIELDS + ["sessions_requested"]
        formfield_callback = _formfield
        widgets = {
            "date_of_birth": date_input(),
            "id_document_expiry": date_input(),
            "sessions_requested": forms.CheckboxSelectMultiple,
            "interview_requests": forms.Textarea(attrs={"rows": 3}),
            "equipment": forms.Textarea(attrs={"rows": 2}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(
                attrs={
                    "autocomplete": "tel",
                    "inputmode": "tel",
                    "placeholder": "+212 6 12 34 56 78",
                }
            ),
        }
        help_texts = {
            "given_names": _("Exactly as in your identity document, all of them."),
            "family_names": _("Exactly as in your identity document, all of them."),
            "name_native": _(
                "Optional: your name in your own script (Arabic, Cyrillic, Greek…), as you "
                "want it on the badge."
            ),
            "phone": _("With the country code, e.g. +33 6 12 34 56 78."),
            "press_card_year": _("The year printed on the card."),
            "filming_authorisation_number": _(
                "Foreign television crews filming in Morocco need an authorisation from the "
                "Centre Cinématographique Marocain."
            ),
            # Shown only when the event has nobody to ask interviews of (interviews_offered);
            # otherwise the form asks for each interview (ApplyInterviewForm).
            "interview_requests": _("Whom you would like to interview, and on what topic."),
            "equipment": _("Cameras, tripods, lights, satellite equipment…"),
            "sessions_requested": _("Only the sessions open to the media are listed."),
        }

    def __init__(
        self,
        *args,
        event,
        pending: dict,
        received: frozenset[str] = frozenset(),
        oversized: set[str] = frozenset(),
        refused: dict | None = None,
        email: str | None = None,
        outlet_vouches: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if email:  # proved by the address step (apply.address): not editable any more
            self.fields["email"].disabled = True
            self.fields["email"].initial = email
            self.fields["email"].help_text = _("Confirmed by the link we sent you.")
        self.bot_checks_init()
        # Interview requests asked with the application (accreditation.interviews); a blank
        # row costs no query, so a post without any looks nothing up.
        self.interview_forms = [
            ApplyInterviewForm(self.data if self.is_bound else None, event=event, number=n)
            for n in range(1, INTERVIEW_ROWS + 1)
        ]
        self.outlet_vouches = outlet_vouches  # a crew member: their outlet vouches for them
        self.refused = refused or {}  # slot -> why the uploaded file was refused
        self.event = event
        self.pending = pending  # slot -> PendingUpload kept from an earlier attempt
        self.received = received  # slots of acceptable files in this post (not kept yet)
        self.oversized = oversized
        sessions = self.fields["sessions_requested"]
        sessions.queryset = submission.media_sessions(event)
        # Required when the event has sessions open to the media. A post that chose some needs
        # no look-up for that: its choices are checked against the same sessions anyway.
        chosen = self.is_bound and sessions.widget.value_from_datadict(
            self.data, self.files, self.add_prefix("sessions_requested")
        )
        sessions.required = bool(chosen) or sessions.queryset.exists()
        self.fields["sessions_requested"].label_from_instance = self._session_label
        self.fields["date_of_birth"].widget = date_input()
        self.fields["id_document_expiry"].widget = date_input()
        # Values written left to right whatever the page's direction: in Arabic a phone number
        # showed as "67 45 23 61 6 212+".
        for name in LEFT_TO_RIGHT:
            if name in self.fields:
                self.fields[name].widget.attrs["dir"] = "ltr"
        # Family names are required unless the person has a single name (clean() and the rules
        # in accreditation.apply.submission say which message).
        self.fields["family_names"].required = False
        self.fields["press_card_year"].widget.attrs.update(
            {"min": 1990, "max": event.starts_on.year + 1}
        )
        for slot in FILE_SLOTS:
            field = self.fields[slot]
            field.help_text = file_help(slot)
            field.widget.attrs["accept"] = (
                "image/jpeg,image/png"
                if slot == "photo"
                else "application/pdf,image/jpeg,image/png"
            )

    @cached_property
    def helper(self) -> FormHelper:
        """The page's layout, built only when the form is shown (not for a valid post)."""
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True
        helper.layout = Layout(
            Fieldset(
                _("Identity, exactly as in your identity document"),
                Div(
                    Div("given_names", css_class="col-md-6"),
                    Div("family_names", css_class="col-md-6"),
                    css_class="row",
                ),
                "single_name",
                "name_native",
                Div(
                    Div("date_of_birth", css_class="col-md-6"),
                    Div("nationality", css_class="col-md-6"),
                    css_class="row",
                ),
                Div(
                    Div("id_document_type", css_class="col-md-6"),
                    Div("id_document_number", css_class="col-md-6"),
                    css_class="row",
                ),
                Div(
                    Div("id_document_country", css_class="col-md-6"),
                    Div("id_document_expiry", css_class="col-md-6"),
                    css_class="row",
                ),
            ),
            Fieldset(
                _("Contact"),
                Div(
                    Div("email", css_class="col-md-6"),
                    Div("phone", css_class="col-md-6"),
                    css_class="row",
                ),
            ),
            Fieldset(
                _("Your work"),
                Div(
                    Div("outlet_name", css_class="col-md-6"),
                    Div("outlet_type", css_class="col-md-6"),
                    css_class="row",
                ),
                Div(
                    Div("outlet_country", css_class="col-md-6"),
                    Div("outlet_website", css_class="col-md-6"),
                    css_class="row",
                ),
                Div(
                    Div("role", css_class="col-md-6"),
                    Div("employment", css_class="col-md-6"),
                    css_class="row",
                ),
                Div(
                    Div("press_card_number", css_class="col-md-6"),
                    Div("press_card_year", css_class="col-md-6"),
                    css_class="row",
                ),
                "filming_authorisation_number",
            ),
            Fieldset(
                _("Sessions and requests"),
                "sessions_requested",
                (
                    HTML('{% include "accreditation/_interview_rows.html" %}')
                    if self.interviews_offered
                    else "interview_requests"
                ),
                "equipment",
            ),
            Fieldset(
                _("Documents"),
                HTML('{% include "accreditation/_pending_uploads.html" %}'),
                "identity",
                "identity_back",
                "press_card",
                "press_card_back",
                "mission_letter",
                "photo",
            ),
            Div("homepage", css_class="hp-field", aria_hidden="true"),
            "started",
            Fieldset(_("Consent"), HTML('{% include "accreditation/_consent.html" %}'), "consent"),
        )
        return helper

    @cached_property
    def interviews_offered(self) -> bool:
        """The form shows its interview part: the event has people to ask for interviews, or
        the post asked for some (shown back, even if the list changed meanwhile)."""
        if any(row.used for row in self.interview_forms):
            return True
        return InterviewTarget.objects.filter(event=self.event, active=True).exists()

    def add_service_error(self, exc) -> None:
        """A refusal of request_submit, on the field (or interview row) it concerns."""
        field = exc.field if isinstance(exc.field, str) else ""
        for row in self.interview_forms:
            if field == row.prefix or field.startswith(f"{row.prefix}-"):
                name = field.removeprefix(f"{row.prefix}-")
                row.add_error(name if name in row.fields else None, str(exc.message))
                self.add_error(None, self.interview_row_error(row))
                return
        self.add_error(field if field in self.fields else None, str(exc.message))

    @staticmethod
    def interview_row_error(row) -> str:
        return _("Interview request %(number)d: please correct what is marked.") % {
            "number": row.number
        }

    def _interviews_clean(self) -> list[tuple[int, dict]]:
        """The rows filled in, as (row number, what it asks); a row with errors says so at the
        top of the form too."""
        asked = []
        for row in self.interview_forms:
            if not row.is_valid():
                self.add_error(None, self.interview_row_error(row))
            elif row.has_changed():
                asked.append((row.number, row.cleaned_data))
        return asked

    @staticmethod
    def _session_label(session) -> str:
        from django.utils import formats, timezone

        parts = [session.display_title()]
        if session.starts_at:
            local = timezone.localtime(session.starts_at)
            parts.append(formats.date_format(local, "DATETIME_FORMAT"))
        else:
            parts.append(str(_("time to be announced")))
        if session.media_access == session.MediaAccess.ON_REQUEST:
            parts.append(str(_("on request")))
        return " — ".join(parts)

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"]
        try:
            number = phonenumbers.parse(raw, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_possible_number(number):
            raise forms.ValidationError(
                _(
                    "Give the number with its country code, starting with +, e.g. +212 6 12 34 56 78."
                )
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def clean_press_card_year(self):
        year = self.cleaned_data.get("press_card_year")
        if year is not None and not (1990 <= year <= self.event.starts_on.year + 1):
            raise forms.ValidationError(
                _("Give the year printed on the card, e.g. %(year)s.")
                % {"year": self.event.starts_on.year}
            )
        return year

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("single_name") and not cleaned.get("family_names"):
            # A single name is kept as the family name (the primary identifier, as in the
            # passport's machine-readable zone), and printed on its own.
            cleaned["family_names"] = cleaned.get("given_names", "")
            cleaned["given_names"] = ""
        self._consent_check(cleaned)
        cleaned["interviews"] = self._interviews_clean()
        for slot in FILE_SLOTS:
            if slot in self.oversized:
                self.add_error(slot, too_large())
            elif slot in self.refused:
                self.add_error(slot, self.refused[slot])
        # A slot whose file was refused already carries its own message.
        slots = set(self.pending) | set(self.received) | set(self.refused) | set(self.oversized)
        for field, messages in submission.application_errors(
            event=self.event, data=cleaned, slots=slots, outlet_vouches=self.outlet_vouches
        ).items():
            for message in messages:
                if field == "__all__":
                    self.add_error(None, message)
                elif field in self.fields and field not in self.errors:
                    self.add_error(field, message)
        return cleaned

    def _consent_check(self, cleaned) -> None:
        """A notice that changed while the person filled in: the page shows the new one (the
        template renders the one in force), unticked, to be agreed to again."""
        language = (get_language() or "en")[:2]
        # The SHA-256 of the notice shown, put in the page by templates/accreditation/_consent.html.
        cleaned["consent_sha256"] = shown = str(self.data.get(f"consent_sha256_{language}", ""))
        if submission.consent_changed(event=self.event, language=language, shown_sha256=shown):
            self.add_error("consent", submission.CONSENT_CHANGED)
            self.data = self.data.copy()
            self.data.pop("consent", None)

    def _post_clean(self):
        # The instance is built by request_submit; nothing to construct or validate on it here.
        pass


class AddressForm(BotChecks, forms.Form):
    """The first step: the address that the link to the form goes to (apply.address)."""

    email = forms.EmailField(
        label=_("Your e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("The address of your work, if you have one: staff may write to it."),
    )
    homepage = forms.CharField(required=False, label=_("Leave this field empty"))
    started = forms.CharField(required=False, widget=forms.HiddenInput)
    # The browser's proof of work (apply.pow), filled in by static/js/pow.js.
    altcha = forms.CharField(required=False, widget=forms.HiddenInput)
    too_fast = _("That was very fast. Please check your address, then send it again.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bot_checks_init()
        # Shown with a new challenge each time, a refused form too (the template leaves the
        # field empty for static/js/pow.js to fill).
        self.challenge = pow_challenge() if pow_enabled() else ""

    def clean_altcha(self) -> str:
        if not pow_enabled():
            return ""
        wrong = pow_check(self.cleaned_data.get("altcha", ""))
        if wrong:
            security_event("bot.proof_of_work", outcome="refused", reason=wrong)
            raise forms.ValidationError(
                _(
                    "Your browser could not finish its check that you are not a robot (it needs "
                    "JavaScript). Wait a moment and send the address again."
                )
            )
        return ""


class ResendLinkForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))


class AnswerForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    identity = forms.FileField(label=_("New identity document"), required=False)
    identity_back = forms.FileField(label=_("Its back, if it has one (an ID card)"), required=False)
    press_card = forms.FileField(label=_("New press card"), required=False)
    press_card_back = forms.FileField(label=_("Its back, if it has one"), required=False)
    mission_letter = forms.FileField(label=_("New mission letter"), required=False)
    photo = forms.FileField(label=_("New portrait photo"), required=False)
