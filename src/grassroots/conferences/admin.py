"""Conferences in Django's admin, for reading: changes go through the actions (which audit them),
so the apportionment, its explanation and the allocations are shown, never edited here."""

from django.contrib import admin

from .models import Allocation, Conference


class AllocationInline(admin.TabularInline):
    model = Allocation
    fields = readonly_fields = ("unit", "members", "quota", "seats", "lower_quota", "upper_quota")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conference)
class ConferenceAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "cutoff", "method", "status"]
    list_filter = ["status", "method"]
    search_fields = ["name"]
    inlines = [AllocationInline]
    readonly_fields = [
        "organization", "unit", "cutoff", "statuses", "minimum_tenure_days", "method", "seats", "minimum_seats",
        "maximum_seats", "per", "rounding", "brackets", "seed", "status", "created_at", "called_at",
        "credentialing_at", "in_session_at", "closed_at", "apportioned_at", "input_sha256", "rule", "ties", "warnings",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False
