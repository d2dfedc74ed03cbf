from django.apps import AppConfig


class BulletinConfig(AppConfig):
    name = "grassroots.bulletin"
    verbose_name = "Bulletin"

    def ready(self) -> None:
        # An issue is sent when the outbox has no row of it queued or sending any more.
        from grassroots.outbox.actions import complaint_received, mailing_finished
        from grassroots.outbox.unsubscribes import unsubscribe_requested

        from .actions import close_sent_issue, unsubscribe_by_mail, unsubscribe_on_complaint

        mailing_finished.connect(close_sent_issue, dispatch_uid="bulletin.close_sent_issue")
        # A complaint (marked as spam) unsubscribes the person from that publication at once.
        complaint_received.connect(unsubscribe_on_complaint, dispatch_uid="bulletin.unsubscribe_on_complaint")
        # A message to the List-Unsubscribe mailto address (`grassroots outbox unsubscribes`).
        unsubscribe_requested.connect(unsubscribe_by_mail, dispatch_uid="bulletin.unsubscribe_by_mail")
