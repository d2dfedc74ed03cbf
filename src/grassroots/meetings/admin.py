from django.contrib import admin

from .models import Meeting


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["unit", "on", "kind"]
    list_filter = ["kind"]
    raw_id_fields = ["unit", "attendees"]
