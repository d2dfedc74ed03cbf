from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "grassroots.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Django reports sign-ins only through these signals; the audit record is written there.
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from .actions import record_sign_in

        user_logged_in.connect(
            lambda sender, request, user, **kwargs: record_sign_in(user=user, succeeded=True),
            dispatch_uid="grassroots.audit.sign_in",
            weak=False,
        )
        user_login_failed.connect(
            lambda sender, credentials, request=None, **kwargs: record_sign_in(
                user=None, succeeded=False, username=str(credentials.get("username", ""))
            ),
            dispatch_uid="grassroots.audit.sign_in_failed",
            weak=False,
        )
