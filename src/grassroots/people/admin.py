from django.contrib import admin

from .models import Membership, Person, StatusChange


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "organization"]
    list_filter = ["organization"]
    search_fields = ["name", "email"]
    raw_id_fields = ["recruiter"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["person", "unit", "status", "start", "end"]
    list_filter = ["status"]
    raw_id_fields = ["person", "unit"]


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ["membership", "on", "old", "new"]
    raw_id_fields = ["membership"]
