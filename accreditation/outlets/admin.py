"""Staff's outlet pages in the admin: the registrations (with the proof's check results and
the requests grouped under each outlet) and their decision (approve / ask / reject), the
quotas per outlet type. Reviewers and supervisors see them with the permission they decide
requests with (accreditation.review_request); every change goes through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accreditation.errors import ServiceError
from accreditation.models import AccreditationRequest
from accreditation.outlets import decide, grouping, quota, registration
from accreditation.outlets.checks import proof_results
from accreditation.outlets.forms import (
    CrewDecisionForm,
    DecisionForm,
    GroupForm,
    MergeForm,
    QuotaRaiseForm,
)
from accreditation.outlets.grouping import REVIEW, SUPERVISE, outlet_requests, request_outlet
from accreditation.outlets.models import Outlet, OutletQuota
from accreditation.roles import scoped


class ReviewersOnly:
    def has_module_permission(self, request):
        return request.user.has_perm(REVIEW)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(REVIEW)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _kept_key(pk: int) -> str:
    return f"outlets:kept:{pk}"


@admin.register(Outlet)
class OutletAdmin(ReviewersOnly, admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("name", "outlet_type", "country", "event", "status", "proof_outcome")
    list_filter = ("event", "status", "outlet_type")
    search_fields = ("name", "focal_name", "focal_email", "website")
    list_select_related = ("event",)
    change_form_template = "admin/outlets/outlet/change_form.html"

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def get_urls(self):
        urls = super().get_urls()
        decide = self.admin_site.admin_view(self.decide_view)
        return [path("<int:pk>/decide/", decide, name="outlets_outlet_decide"), *urls]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        outlet = get_object_or_404(self.get_queryset(request), pk=object_id)
        extra = {
            **self._forms(request, outlet),
            "decide_url": reverse("admin:outlets_outlet_decide", args=[outlet.pk]),
            "grouped": outlet_requests(outlet).only("reference", "status", "family_names"),
            "waiting": quota.waiting_list(outlet),
            "limit": quota.quota_limit(outlet),
            "crew": outlet.crew.select_related("request"),
            "proof_results": proof_results(outlet),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    def _forms(self, request, outlet: Outlet) -> dict:
        """The page's forms: blank, but the one a refused post came from is bound again to
        what was typed (kept in the session across the redirect), its errors shown."""
        kept = request.session.pop(_kept_key(outlet.pk), None) or {}
        action = kept.get("action")
        data = QueryDict(mutable=True)
        for key, values in kept.get("post", {}).items():
            data.setlist(key, values)

        def bound(*actions):
            return data if action in actions else None

        members = list(decide.crew_members_decidable(outlet))
        quota_form = None
        if request.user.has_perm(SUPERVISE):
            initial = {"people": (quota.quota_limit(outlet) or 0) + 1}
            quota_form = QuotaRaiseForm(bound("quota"), prefix="quota", initial=initial)
        return {
            "decision_form": DecisionForm(bound("outlet")),
            "crew_form": CrewDecisionForm(bound("crew"), members=members, prefix="crew"),
            "merge_form": MergeForm(bound("merge"), outlet=outlet, prefix="merge"),
            "group_form": GroupForm(bound("group", "split"), prefix="group"),
            "quota_form": quota_form,
        }

    def decide_view(self, request, pk: int):
        """Every staff decision on an outlet, one POST each (``action``): the registration's
        (approve / ask / reject), the crew's, a merge, grouping or splitting one request,
        raising the quota. The services check the role of each. A refused post goes back to
        the page with what was typed."""
        if not self.has_view_permission(request):
            raise PermissionDenied  # before any look-up: which outlets exist is not said
        outlet = get_object_or_404(self.get_queryset(request), pk=pk)
        back = HttpResponseRedirect(reverse("admin:outlets_outlet_change", args=[pk]))
        if request.method != "POST":
            return back
        action = request.POST.get("action", "outlet")
        handler = self.ACTIONS.get(action)
        if handler is None:
            return back
        try:
            done = handler(self, request, outlet) is not False
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            done = False
        if not done:
            request.session[_kept_key(pk)] = {
                "action": action,
                "post": {
                    key: request.POST.getlist(key)
                    for key in request.POST
                    if key != "csrfmiddlewaretoken"
                },
            }
        return back

    def _invalid(self, request, form) -> bool:
        """A form that did not validate: said at the top; False, the post refused."""
        self.message_user(
            request,
            "; ".join(str(e) for errors in form.errors.values() for e in errors),
            messages.ERROR,
        )
        return False

    def _outlet_decision(self, request, outlet: Outlet) -> bool | None:
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self._invalid(request, form)
        decision, text = form.cleaned_data["decision"], form.cleaned_data["message"]
        if decision == "approve":
            registration.outlet_approve(actor=request.user, outlet=outlet)
        elif decision == "ask":
            registration.outlet_ask(actor=request.user, outlet=outlet, message=text)
        else:
            registration.outlet_reject(actor=request.user, outlet=outlet, reason=text)
        self.message_user(request, _("Decision recorded."), messages.SUCCESS)

    def _crew_decision(self, request, outlet: Outlet) -> bool | None:
        members = list(decide.crew_members_decidable(outlet))
        form = CrewDecisionForm(request.POST, members=members, prefix="crew")
        if not form.is_valid():
            return self._invalid(request, form)
        data = form.cleaned_data
        outcome = decide.crew_decide(
            actor=request.user,
            outlet=outlet,
            decision=data["decision"],
            member_ids=form.member_ids(),
            reason=data["reason"],
            text=data["text"] if data["decision"] == decide.REJECT else "",
            note=data["text"] if data["decision"] == decide.APPROVE else "",
        )
        done = len(outcome.decided)
        if done:
            message = (
                ngettext("%(count)d member approved.", "%(count)d members approved.", done)
                if data["decision"] == decide.APPROVE
                else ngettext("%(count)d member rejected.", "%(count)d members rejected.", done)
            )
            self.message_user(request, message % {"count": done}, messages.SUCCESS)
        for members, text in (
            (outcome.waiting, gettext("%(name)s waits for a place in a session that is full.")),
            (
                outcome.first_approval,
                gettext("%(name)s: first approval recorded; a second reviewer approves."),
            ),
        ):
            for member in members:
                self.message_user(request, text % {"name": member.name}, messages.INFO)
        for refused in outcome.refused:
            self.message_user(request, refused.line, messages.WARNING)

    def _merge(self, request, outlet: Outlet) -> bool | None:
        form = MergeForm(request.POST, outlet=outlet, prefix="merge")
        if not form.is_valid():
            return self._invalid(request, form)
        other = form.cleaned_data["other"]
        grouping.outlet_merge(
            actor=request.user, into=outlet, other=other, reason=form.cleaned_data["reason"]
        )
        self.message_user(
            request,
            gettext("%(other)s merged into this outlet.") % {"other": other.name},
            messages.SUCCESS,
        )

    def _grouped_request(self, request, outlet: Outlet, *, split: bool) -> bool | None:
        form = GroupForm(request.POST, prefix="group")
        if not form.is_valid():
            return self._invalid(request, form)
        reference = form.cleaned_data["reference"].strip().upper()
        req = (
            scoped(AccreditationRequest.objects, request.user)
            .filter(event_id=outlet.event_id, reference=reference)
            .first()
        )
        if req is None:
            self.message_user(
                request,
                gettext("No request %(reference)s in this outlet's event.")
                % {"reference": reference},
                messages.ERROR,
            )
            return False
        if split and request_outlet(req) != outlet:
            self.message_user(
                request,
                gettext("Request %(reference)s is not grouped under this outlet.")
                % {"reference": reference},
                messages.ERROR,
            )
            return False
        if split:
            grouping.request_ungroup(actor=request.user, request=req)
            text = gettext("%(reference)s split off this outlet.")
        else:
            grouping.request_group(actor=request.user, outlet=outlet, request=req)
            text = gettext("%(reference)s grouped under this outlet.")
        self.message_user(request, text % {"reference": req.reference}, messages.SUCCESS)

    def _group(self, request, outlet: Outlet) -> bool | None:
        return self._grouped_request(request, outlet, split=False)

    def _split(self, request, outlet: Outlet) -> bool | None:
        return self._grouped_request(request, outlet, split=True)

    def _quota(self, request, outlet: Outlet) -> bool | None:
        form = QuotaRaiseForm(request.POST, prefix="quota")
        if not form.is_valid():
            return self._invalid(request, form)
        people = form.cleaned_data["people"]
        first = registration.outlet_quota_raise(actor=request.user, outlet=outlet, people=people)
        self.message_user(
            request,
            gettext("This outlet may now have %(people)d people accredited.") % {"people": people},
            messages.SUCCESS,
        )
        if first is not None:
            reference = AccreditationRequest.objects.get(pk=first).reference
            self.message_user(
                request,
                gettext("%(reference)s, first in the outlet's waiting list, may now be approved.")
                % {"reference": reference},
                messages.INFO,
            )

    ACTIONS = {
        "outlet": _outlet_decision,
        "crew": _crew_decision,
        "merge": _merge,
        "group": _group,
        "split": _split,
        "quota": _quota,
    }


@admin.register(OutletQuota)
class OutletQuotaAdmin(admin.ModelAdmin):
    """People per outlet, by event and outlet type: reviewers read them, supervisors set them;
    never deleted (a quota of 0 closes a type instead)."""

    list_display = ("event", "outlet_type", "people")
    list_filter = ("event",)

    def has_module_permission(self, request):
        return request.user.has_perm(REVIEW)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(REVIEW)

    def has_add_permission(self, request):
        return request.user.has_perm(SUPERVISE)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(SUPERVISE)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "event":
            field.queryset = scoped(field.queryset, request.user, "pk")
        return field
