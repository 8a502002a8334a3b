from django.contrib import admin

from apps.core.models import AuditLog, Invitation, Location, Membership, Merchant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "currency", "country", "timezone", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [LocationInline, MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "merchant", "role", "created_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["email"]
    exclude = ["token_hash"]
    readonly_fields = ["merchant", "email", "role", "invited_by", "accepted_by"]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "merchant", "actor", "summary"]
    list_filter = ["action"]
    search_fields = ["summary"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
