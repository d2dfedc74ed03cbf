from django.contrib import admin

from .models import OfficerPost, Organization, Unit, UnitEvent


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "state", "organization", "parent"]
    list_filter = ["organization", "kind", "state"]
    search_fields = ["name", "slug"]
    raw_id_fields = ["parent"]
    # The tree is changed through the actions (which keep paths and history); not here.
    readonly_fields = ["organization", "parent", "path", "kind", "state", "created_on", "founded_on"]


@admin.register(UnitEvent)
class UnitEventAdmin(admin.ModelAdmin):
    list_display = ["unit", "kind", "on", "state"]
    list_filter = ["kind"]
    raw_id_fields = ["unit", "parent"]


@admin.register(OfficerPost)
class OfficerPostAdmin(admin.ModelAdmin):
    list_display = ["unit", "post", "person", "start", "end"]
    raw_id_fields = ["unit", "person"]
