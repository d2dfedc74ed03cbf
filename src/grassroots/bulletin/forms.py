"""Forms of the bulletin pages: each one's cleaned data goes to one action."""

from __future__ import annotations

from django import forms

from grassroots.web import ActionForm

from .models import Article


class PublicationForm(ActionForm):
    name = forms.CharField(max_length=200)
    unit = forms.CharField(
        required=False, max_length=80, help_text="Slug of the unit it belongs to; empty: the organization's."
    )
    colour = forms.RegexField(regex=r"^#[0-9a-fA-F]{6}$", initial="#8b1e1e", help_text="#rrggbb")
    footer = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Name and postal address."
    )


class IssueForm(ActionForm):
    title = forms.CharField(max_length=200)
    article_title = forms.CharField(max_length=200, label="First article's title")
    author = forms.CharField(required=False, max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), help_text="Markdown.")
    visibility = forms.ChoiceField(choices=Article.Visibility.choices, initial=Article.Visibility.MEMBERS)
    visibility_unit = forms.CharField(
        required=False, max_length=80, help_text="For a subtree article: the unit's slug."
    )

    def refuse(self, refusal) -> None:
        # The actions name the first article's fields "articles.0.<field>"; its title is `article_title` here.
        if refusal.field and refusal.field.startswith("articles.0."):
            field = refusal.field.rsplit(".", 1)[-1]
            refusal.field = "article_title" if field == "title" else field
        super().refuse(refusal)


class ArticleForm(ActionForm):
    """One article of the issue editor: a new one, or an existing one to change. The subtree's
    unit is chosen among the units of the publication's place the editor may see."""

    title = forms.CharField(max_length=200)
    author = forms.CharField(required=False, max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=200_000, help_text="Markdown.")
    visibility = forms.ChoiceField(choices=Article.Visibility.choices, initial=Article.Visibility.MEMBERS)
    visibility_unit = forms.ChoiceField(
        required=False, label="Subtree", help_text="For a subtree article: whose members read it."
    )

    def __init__(self, *args, units: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["visibility_unit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *units]

    def refuse(self, refusal) -> None:
        # The actions name an article's field "articles.<n>.<field>": this form holds one article.
        if refusal.field:
            refusal.field = refusal.field.rsplit(".", 1)[-1]
        super().refuse(refusal)


class AudienceForm(forms.Form):
    unit = forms.CharField(
        required=False, max_length=80, help_text="Slug of the subtree; empty: the publication's whole audience."
    )
    status = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, help_text="Empty: the member statuses."
    )

    def __init__(self, *args, statuses: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(status, status) for status in statuses]


class SendForm(AudienceForm, ActionForm):
    confirm = forms.IntegerField(min_value=0, help_text="Type the number of recipients shown above.")
    at = forms.DateTimeField(
        required=False,
        label="Send at",
        help_text="Empty: now. A later time schedules it (in the organization's time zone).",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class SubscribeForm(ActionForm):
    """The public subscribe form: a name, an address, and the tick that gives consent to the
    publication's consent text of the version shown (sent back, so a text changed meanwhile is
    not agreed to unread)."""

    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254)
    consent = forms.BooleanField(label="I agree to the text above")
    consent_version = forms.CharField(max_length=40, widget=forms.HiddenInput)
