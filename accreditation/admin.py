from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accreditation import services
from accreditation.models import AccreditationRequest, AuditEntry, Document, LateAdmission, Message


class DocumentInline(admin.TabularInline):
    model = Document
    extra = 0
    can_delete = False
    fields = (
        "kind",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "superseded_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("created_at", "author", "body")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


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


@admin.register(AccreditationRequest)
class AccreditationRequestAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "family_names",
        "given_names",
        "outlet_name",
        "outlet_country",
        "role",
        "status",
        "email_confirmed",
        "submitted_at",
    )
    list_filter = (
        "status",
        "event",
        "outlet_type",
        "role",
        EmailConfirmedFilter,
        ("late_admission", admin.EmptyFieldListFilter),
    )
    search_fields = (
        "reference",
        "family_names",
        "given_names",
        "email",
        "outlet_name",
        "id_document_number",
    )
    list_select_related = ("event",)
    readonly_fields = (
        "reference",
        "status",
        "event",
        "submitted_at",
        "email_confirmed_at",
        "consent_version",
        "consent_given_at",
        "language",
    )
    inlines = [DocumentInline, MessageInline]
    date_hierarchy = "submitted_at"

    @admin.display(boolean=True, description=_("e-mail confirmed"), ordering="email_confirmed_at")
    def email_confirmed(self, obj):
        return obj.email_confirmed_at is not None

    def has_add_permission(self, request):
        return False  # requests come from the public form

    def has_delete_permission(self, request, obj=None):
        return False  # withdrawn or rejected, never erased by hand (retention purge deletes)

    def has_change_permission(self, request, obj=None):
        return False  # decisions come with the review workflow, not by editing fields


@admin.register(LateAdmission)
class LateAdmissionAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "event", "valid_until", "used_at", "created_by")
    list_filter = ("event",)
    fields = ("event", "name", "email", "valid_until")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        admission = services.late_admission_create(
            event=obj.event,
            name=obj.name,
            email=obj.email,
            valid_until=obj.valid_until,
            actor=request.user,
        )
        obj.pk = admission.pk
        obj.nonce = admission.nonce


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "actor_label", "request", "from_status", "to_status")
    list_filter = ("action",)
    search_fields = ("request__reference", "actor_label", "action")
    list_select_related = ("request",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
