from django.contrib import admin

from .models import Attendance, Decision, Meeting, MeetingSeries


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["unit", "start", "kind", "status"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["unit", "series"]


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(admin.ModelAdmin):
    list_display = ["unit", "title", "rule"]
    raw_id_fields = ["unit"]


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["meeting", "person", "status", "method"]
    raw_id_fields = ["meeting", "person"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["meeting", "outcome", "quorate"]
    raw_id_fields = ["meeting", "agenda_item", "responsible"]
