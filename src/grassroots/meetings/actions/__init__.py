"""Changes to meetings, by topic: meetings and attendance, their records (agenda, decisions,
minutes), series, check-in and feeds. Each action checks, writes, and audits in one transaction."""

from .agenda import move_agenda_item
from .attendance import (
    check_in_self,
    count_walk_in,
    record_sheet,
    register_self,
)
from .checkin import issue_host_link, register, revoke_host_link, scan, tap, walk_in
from .feeds import create_feed, feed_digest, keep_events, keep_feed_body, revoke_feed
from .meetings import (
    CHECK_IN_OPENS,
    cancel_meeting,
    invite_members,
    mark_held,
    record_attendance,
    record_founding_meeting,
    reschedule_meeting,
    schedule_meeting,
)
from .records import (
    add_agenda_item,
    approve_minutes,
    approve_minutes_at,
    close_agenda_item,
    record_decision,
    write_minutes,
)
from .series import SeriesEdit, edit_series, extend_all_series, extend_series, schedule_series, window_end

__all__ = [
    "SeriesEdit",
    "check_in_self",
    "count_walk_in",
    "move_agenda_item",
    "record_sheet",
    "register_self",
    "CHECK_IN_OPENS",
    "add_agenda_item",
    "approve_minutes",
    "approve_minutes_at",
    "cancel_meeting",
    "close_agenda_item",
    "create_feed",
    "feed_digest",
    "keep_events",
    "keep_feed_body",
    "issue_host_link",
    "register",
    "revoke_host_link",
    "scan",
    "tap",
    "walk_in",
    "revoke_feed",
    "edit_series",
    "extend_all_series",
    "extend_series",
    "invite_members",
    "mark_held",
    "record_attendance",
    "record_decision",
    "record_founding_meeting",
    "reschedule_meeting",
    "schedule_meeting",
    "schedule_series",
    "window_end",
    "write_minutes",
]
