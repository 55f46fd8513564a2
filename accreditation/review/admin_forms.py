"""The admin's filters and decision forms for requests (the rules are in the services)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accreditation.errors import ServiceError
from accreditation.models import (
    AccreditationRequest,
    RejectionReason,
    Status,
)
from accreditation.roles import require_event, require_not_own
from events.models import Event, Session


class EmailConfirmedFilter(admin.SimpleListFilter):
    title = _("e-mail confirmed")
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return (("yes", _("Yes")), ("no", _("No")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(email_confirmed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(email_confirmed_at__isnull=True)
        return queryset


class AnsweredFilter(admin.SimpleListFilter):
    """Questions to the journalist: answered and waiting for staff (selectors.with_answered,
    which the queue's queryset carries), or still waiting for the journalist."""

    title = _("question to the journalist")
    parameter_name = "answered"

    def lookups(self, request, model_admin):
        return (
            ("yes", _("Answered: waiting for staff")),
            ("waiting", _("Asked: waiting for the journalist")),
        )

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(answered=True)
        if self.value() == "waiting":
            return queryset.filter(status=Status.INFO_REQUESTED)
        return queryset


class LateFilter(admin.SimpleListFilter):
    title = _("late admission")
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return (("yes", _("Yes")), ("no", _("No")))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(late_admission__isnull=self.value() == "no")
        return queryset


class CountryFilter(admin.SimpleListFilter):
    """Only the countries that appear, in one query whatever the table size."""

    title = _("outlet country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = (
            model_admin.get_queryset(request)
            .order_by()
            .values_list("outlet_country", flat=True)
            .distinct()
        )
        return sorted(
            ((code, countries.name(code)) for code in codes), key=lambda item: str(item[1])
        )

    def queryset(self, request, queryset):
        return queryset.filter(outlet_country=self.value()) if self.value() else queryset


class RejectForm(forms.Form):
    reason = forms.ModelChoiceField(
        queryset=RejectionReason.objects.filter(active=True), required=False, label=_("Reason")
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Further explanation")
    )


class AskForm(forms.Form):
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label=_("Question for the journalist")
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason"))


class ApproveForm(forms.Form):
    sessions = forms.ModelMultipleChoiceField(
        queryset=Session.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Sessions granted"),
    )
    note = forms.CharField(required=False, label=_("Internal note"))

    def __init__(self, *args, req: AccreditationRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sessions"].queryset = req.event.sessions.open_to_media()
        self.fields["sessions"].initial = [s.pk for s in req.sessions_requested.all()]


class VettingImportForm(forms.Form):
    event = forms.ModelChoiceField(
        queryset=Event.objects.filter(security_vetting_required=True), label=_("Event")
    )
    file = forms.FileField(label=_("Answer of the security service (CSV or XLSX)"))


class LateAdmissionForm(forms.ModelForm):
    """Who may grant this late admission is the service's rule (roles: the event is theirs,
    the address is not their own); the form asks it first, to answer with a message."""

    actor = None

    def clean(self):
        cleaned = super().clean()
        event, email = cleaned.get("event"), cleaned.get("email")
        if event is not None and email:
            try:
                require_event(self.actor, event.pk)
                require_not_own(self.actor, email)
            except ServiceError as exc:
                raise forms.ValidationError(exc.message) from None
        return cleaned
