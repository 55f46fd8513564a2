"""The press office's announcements in the admin: write a draft (texts per language, the session
it concerns, the audience, files), preview the count and one e-mail, send, follow the
deliveries, resend to the failures. Writing and sending need ``send_announcement``; reading
``view_announcement``. Each page calls the services; none writes by itself."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accreditation.communications import audience, calendar, services
from accreditation.communications.forms import AnnouncementForm
from accreditation.communications.mailing import AnnouncementMail
from accreditation.communications.models import Announcement, Attachment, Delivery
from accreditation.errors import ServiceError
from accreditation.privacy.storage import private_file_response
from accreditation.roles import scoped

SEND = services.SEND
A = Announcement.State
D = Delivery.State
EXAMPLE_STATUS_URL = "https://…/status/REFERENCE/…/"


def _counted(queryset):
    return queryset.annotate(
        **{
            f"n_{state}": Count("deliveries", filter=Q(deliveries__state=state))
            for state in D.values
        }
    )


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    form = AnnouncementForm
    list_display = ("title", "event", "session", "state", "progress", "created_at", "sent_at")
    list_filter = ("state", "event", "operational")
    list_select_related = ("event", "session")
    change_form_template = "admin/communications/announcement/change_form.html"

    # --- Who may do what ----------------------------------------------------------------------

    def has_add_permission(self, request):
        return request.user.has_perm(SEND)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(SEND) and (obj is None or obj.state == A.DRAFT)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(SEND) and obj is not None and obj.state == A.DRAFT

    def get_queryset(self, request):
        return _counted(scoped(super().get_queryset(request), request.user))

    # --- The list -----------------------------------------------------------------------------

    @admin.display(description=_("title"))
    def title(self, obj):
        return str(obj)

    @admin.display(description=_("deliveries"))
    def progress(self, obj):
        if obj.state == A.DRAFT:
            return "—"
        return gettext("%(sent)d sent, %(failed)d failed, %(queued)d queued") % {
            "sent": getattr(obj, "n_sent", 0),
            "failed": getattr(obj, "n_failed", 0),
            "queued": getattr(obj, "n_queued", 0),
        }

    # --- The form -----------------------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not self.has_change_permission(request, obj):
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = self.form.for_user(request.user)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return [
                (None, {"fields": ("event", "session", "texts", "operational", "state")}),
                (_("Audience"), {"fields": ("audience_label",)}),
                (_("Files"), {"fields": ("files_list",)}),
            ]
        files = ("files", "remove_files", "files_list") if obj is not None else ("files",)
        return [
            (None, {"fields": ("event", "session", "titles", "bodies", "operational")}),
            (
                _("Audience"),
                {
                    "fields": (
                        "audience_statuses",
                        "audience_session",
                        "audience_country",
                        "audience_outlet_type",
                    )
                },
            ),
            (_("Files"), {"fields": files}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ("texts", "audience_label", "files_list", "state")
        if obj is not None and not self.has_change_permission(request, obj):
            return (*readonly, "event", "session", "operational")
        return readonly

    @admin.display(description=_("title and text"))
    def texts(self, obj):
        rows = [
            (code, obj.titles.get(code, ""), obj.bodies.get(code, ""))
            for code in obj.event.languages
            if obj.titles.get(code) or obj.bodies.get(code)
        ]
        return format_html_join(
            "",
            '<div lang="{0}" dir="auto"><strong>[{0}] {1}</strong><br>{2}</div>',
            ((code, title, linebreaksbr(body)) for code, title, body in rows),
        )

    @admin.display(description=_("audience"))
    def audience_label(self, obj):
        return audience_text(obj)

    @admin.display(description=_("attached files"))
    def files_list(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        items = [
            (reverse("admin:communications_announcement_file", args=[obj.pk, a.pk]), a)
            for a in obj.attachments.all()
        ]
        return format_html_join(", ", '<a href="{}">{}</a>', items) or "—"

    def save_model(self, request, obj, form, change):
        services.announcement_save(
            announcement=obj,
            actor=request.user,
            files=form.cleaned_data.get("files") or [],
            remove=form.cleaned_data.get("remove_files") or [],
        )

    def delete_model(self, request, obj):
        services.announcement_delete(announcement=obj, actor=request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        announcement = self.get_queryset(request).filter(pk=object_id).first()
        extra = dict(extra_context or {})
        if announcement is not None:
            extra.update(
                announcement=announcement,
                counts=services.delivery_counts(announcement.pk),
                can_send=request.user.has_perm(SEND),
            )
        return super().change_view(request, object_id, form_url, extra)

    # --- Preview, send, deliveries ---------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/preview/",
                wrap(self.preview_view),
                name="communications_announcement_preview",
            ),
            path("<int:pk>/send/", wrap(self.send_view), name="communications_announcement_send"),
            path(
                "<int:pk>/resend/",
                wrap(self.resend_view),
                name="communications_announcement_resend",
            ),
            path(
                "<int:pk>/deliveries/",
                wrap(self.deliveries_view),
                name="communications_announcement_deliveries",
            ),
            path(
                "<int:pk>/file/<int:file_pk>/",
                wrap(self.file_view),
                name="communications_announcement_file",
            ),
            *super().get_urls(),
        ]

    def _announcement(self, request, pk: int) -> Announcement:
        announcement = get_object_or_404(
            self.get_queryset(request).select_related("event", "session"), pk=pk
        )
        if not self.has_view_permission(request, announcement):
            raise PermissionDenied
        return announcement

    def _context(self, request, announcement, title):
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": announcement,
            "announcement": announcement,
            "can_send": request.user.has_perm(SEND),
        }

    def preview_view(self, request, pk: int):
        """The count, and the e-mail one reader gets in the language chosen."""
        announcement = self._announcement(request, pk)
        event = announcement.event
        language = request.GET.get("language")
        if language not in event.languages:
            language = event.staff_language
        optional = not announcement.operational
        if announcement.state == A.DRAFT:  # the session's time and place as sending would fix
            announcement.calendar = calendar.snapshot(announcement.session, preview=True)
        rendered = AnnouncementMail(announcement).render(
            language=language,
            status_link=EXAMPLE_STATUS_URL,
            unsubscribe_link="https://…/announcements/unsubscribe/…/" if optional else None,
        )
        context = {
            **self._context(
                request, announcement, gettext("Preview: %(title)s") % {"title": announcement}
            ),
            "summary": audience.summary(announcement),
            "audience": audience_text(announcement),
            "problems": services.announcement_problems(announcement),
            "language": language,
            "languages": event.languages,
            "rendered": rendered,
            "ics": rendered.ics.decode() if rendered.ics else "",
            "attachments": list(announcement.attachments.all()),
        }
        return TemplateResponse(request, "admin/communications/announcement/preview.html", context)

    def send_view(self, request, pk: int):
        if request.method != "POST":
            raise PermissionDenied
        announcement = self._announcement(request, pk)
        try:
            services.announcement_send(announcement=announcement, actor=request.user)
        except ServiceError as exc:
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(
                reverse("admin:communications_announcement_preview", args=[pk])
            )
        messages.success(request, gettext("Sending: the deliveries below fill in as it goes."))
        return HttpResponseRedirect(reverse("admin:communications_announcement_change", args=[pk]))

    def resend_view(self, request, pk: int):
        if request.method != "POST":
            raise PermissionDenied
        announcement = self._announcement(request, pk)
        try:
            count = services.announcement_resend_failures(
                announcement=announcement, actor=request.user
            )
        except ServiceError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d failed e-mail queued again.",
                    "%(count)d failed e-mails queued again.",
                    count,
                )
                % {"count": count},
            )
        return HttpResponseRedirect(reverse("admin:communications_announcement_change", args=[pk]))

    def deliveries_view(self, request, pk: int):
        """Who received it: each recipient's delivery, by state, with the mail server's error."""
        announcement = self._announcement(request, pk)
        state = request.GET.get("state", "")
        deliveries = announcement.deliveries.select_related("request").order_by("pk")
        if state in D.values:
            deliveries = deliveries.filter(state=state)
        page = Paginator(deliveries, 100).get_page(request.GET.get("page"))
        context = {
            **self._context(
                request, announcement, gettext("Deliveries: %(title)s") % {"title": announcement}
            ),
            "page": page,
            "state": state,
            "states": D.choices,
            "counts": services.delivery_counts(announcement.pk),
        }
        return TemplateResponse(
            request, "admin/communications/announcement/deliveries.html", context
        )

    def file_view(self, request, pk: int, file_pk: int):
        announcement = self._announcement(request, pk)
        attachment = Attachment.objects.filter(announcement=announcement, pk=file_pk).first()
        if attachment is None:
            raise Http404
        try:
            return private_file_response(
                attachment.file.name,
                filename=attachment.original_name,
                content_type=attachment.content_type,
                as_attachment=True,
            )
        except FileNotFoundError:
            raise Http404(gettext("This file is no longer kept.")) from None


def audience_text(announcement: Announcement) -> str:
    """The audience in words: "All accredited media · granted Press conference · Morocco"."""
    from accreditation.models import OutletType, Status

    parts = [
        ", ".join(str(Status(s).label) for s in announcement.audience_statuses)
        if announcement.audience_statuses
        else gettext("All accredited media")
    ]
    if announcement.audience_session_id:
        parts.append(
            gettext("granted %(session)s")
            % {"session": announcement.audience_session.display_title()}
        )
    if announcement.audience_country:
        parts.append(str(announcement.audience_country.name))
    if announcement.audience_outlet_type:
        parts.append(str(OutletType(announcement.audience_outlet_type).label))
    if not announcement.operational:
        parts.append(gettext("optional (not to those who unsubscribed)"))
    return " · ".join(parts)
