from django.apps import AppConfig


class BulletinConfig(AppConfig):
    name = "grassroots.bulletin"
    verbose_name = "Bulletin"

    def ready(self) -> None:
        # An issue is sent when the outbox has no row of it queued or sending any more.
        from grassroots.outbox.actions import mailing_finished

        from .actions import close_sent_issue

        mailing_finished.connect(close_sent_issue, dispatch_uid="bulletin.close_sent_issue")
