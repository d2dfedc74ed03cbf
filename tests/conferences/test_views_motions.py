"""The session page's forms: a motion submitted by a delegate or by a unit's decision, moved
through its statuses, amended (a paragraph, with the text it would give), published as a
resolution; a poll prepared on an amendment and closed by the totals counted in the hall. Each
refusal is flashed naming its field and changes nothing; another conference's poll is a 404, an
organizer's step posted by a delegate a 403; the page runs the same queries however long the agenda."""

from __future__ import annotations

from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Article
from grassroots.conferences import assembly
from grassroots.conferences.models import Amendment, Motion, Poll
from tests.support import builders
from tests.support.assembly import carried_decision, in_session, seat
from tests.support.conferences import conference, conference_scene
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db

TEXT = "We strike.\n\nFrom May.\n\nUntil repairs."


@pytest.fixture
def hall(org):
    scene = conference_scene(org)
    found = in_session(conference(scene["federation"]))
    delegates = [*(s := seat(found, {"elm-house": [10, 10], "oak-court": [7]}))["elm-house"], *s["oak-court"]]
    user = builders.account(org, "d0@example.org", person=delegates[0].person)
    admin = sign_in(Client(), builders.account(org, "admin@example.org", is_admin=True))
    return {"found": found, "scene": scene, "delegates": delegates, "phone": sign_in(Client(), user), "admin": admin}


def _url(name, found, *more):
    return reverse(name, args=[found.organization.slug, found.pk, *more])


def _post(client, name, found, *more, data=None):
    """Post a form; the session page it goes back to, as text (the flashed message in it)."""
    answer = client.post(_url(name, found, *more), data or {}, follow=True)
    assert answer.status_code == 200
    assert answer.redirect_chain[-1][0].startswith(_url("conference_session", found))
    return unescape(answer.content.decode())


def _motion(hall, text=TEXT, title="Rent strike"):
    return assembly.add_motion(
        conference=hall["found"], title=title, text=text, by="test", delegate=hall["delegates"][1]
    )


def test_a_delegate_submits_a_motion_as_themself(hall):
    found, phone = hall["found"], hall["phone"]
    form = unescape(phone.get(_url("conference_session", found)).content.decode())
    assert "Submit a motion" in form and "You submit it as a delegate." in form and 'name="founding"' not in form
    page = _post(phone, "conference_motion_add", found, data={"title": "Rent strike", "text": TEXT,
                                                              "submitter": "delegate"})  # fmt: skip
    assert "Motion 1 submitted: Rent strike." in page
    motion = Motion.objects.get(conference=found)
    assert (motion.number, motion.delegate, motion.text, motion.founding) == (1, hall["delegates"][0], TEXT, False)
    assert 'data-motion="1"' in page and "Amend motion 1" in page
    # Only the organizers mark the founding resolution.
    founding = {"title": "Found", "text": "We found.", "submitter": "delegate", "founding": "on"}
    assert phone.post(_url("conference_motion_add", found), founding).status_code == 403
    assert Motion.objects.filter(conference=found).count() == 1


def test_a_text_box_s_line_ends_keep_the_paragraphs(hall):
    """A browser sends a text box's lines ended by CRLF: the paragraphs are still told apart."""
    found, phone = hall["found"], hall["phone"]
    crlf = {"title": "Strike", "text": TEXT.replace("\n", "\r\n"), "submitter": "delegate"}
    _post(phone, "conference_motion_add", found, data=crlf)
    assert Motion.objects.get().text == TEXT
    done = _post(phone, "conference_motion_amend", found, 1, data={"paragraph": "3", "text": "Until\r\nwinter."})
    assert "Amendment 1 to motion 1 (paragraph 3) submitted." in done
    assert Amendment.objects.get().text == "Until\nwinter."


def test_an_organizer_submits_a_units_motion_by_its_decision(hall):
    found, admin, elm = hall["found"], hall["admin"], hall["scene"]["elm"]
    decision = carried_decision(elm, "We move the founding resolution.")
    data = {"title": "Founding resolution", "text": "We found the federation.", "submitter": "decision",
            "decision": str(decision.pk), "founding": "on"}  # fmt: skip
    page = _post(admin, "conference_motion_add", found, data=data)
    assert "Motion 1 submitted: Founding resolution." in page
    motion = Motion.objects.get(conference=found)
    assert (motion.unit, motion.decision, motion.delegate, motion.founding) == (elm, decision, None, True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "Title: This field is required."),
        ({"title": "x" * 201}, "Title: Ensure this value has at most 200 characters (it has 201)."),
        ({"text": "x" * 50_001}, "Text: Ensure this value has at most 50000 characters (it has 50001)."),
        ({"submitter": "king"}, "Submitted by: Select a valid choice. king is not one of the available choices."),
        ({"decision": ""}, "Decision number: give the number of the unit's carried decision"),
        ({"decision": "abc"}, "Decision number: Enter a whole number."),
        ({"decision": "99999999999999999999"}, "Decision number: Ensure this value is less than or equal to"),
        ({"decision": "987654321"}, "decision: no decision 987654321 in this organization"),
        ({"submitter": "delegate"}, "delegate: you are not a delegate of Founding conference"),
        ({"title": "One\ntwo"}, "title:"),
    ],
)
def test_a_refused_motion_names_its_field_and_adds_nothing(hall, change, message):
    decision = carried_decision(hall["scene"]["elm"])
    data = {"title": "Strike", "text": "We strike.", "submitter": "decision", "decision": str(decision.pk)} | change
    page = _post(hall["admin"], "conference_motion_add", hall["found"], data=data)
    assert message in page
    assert not Motion.objects.exists()
    # The page it goes back to fills the form again with what was typed (the text of a motion
    # may be long), once.
    assert f'aria-describedby="motion-text-help">{data["text"][:50_000]}</textarea>' in page
    assert '<details id="submit-motion" open>' in page
    again = unescape(hall["admin"].get(_url("conference_session", hall["found"])).content.decode())
    assert '<details id="submit-motion">' in again and 'aria-describedby="motion-text-help"></textarea>' in again


def test_a_decision_that_did_not_carry_submits_no_motion(hall):
    decision = carried_decision(hall["scene"]["elm"])
    decision.outcome = "failed"
    decision.save(update_fields=["outcome"])
    data = {"title": "Strike", "text": "We strike.", "submitter": "decision", "decision": str(decision.pk)}
    page = _post(hall["admin"], "conference_motion_add", hall["found"], data=data)
    assert f"decision: decision {decision.pk} was failed, not carried" in page
    assert not Motion.objects.exists()


def test_the_status_buttons_follow_the_rule(hall):
    found, admin = hall["found"], hall["admin"]
    _motion(hall)
    page = unescape(admin.get(_url("conference_session", found)).content.decode())
    assert 'value="admitted">Admit</button>' in page and ">Debate</button>" not in page
    assert "Motion 1: admitted." in _post(admin, "conference_motion_status", found, 1, data={"status": "admitted"})
    page = unescape(admin.get(_url("conference_session", found)).content.decode())
    assert ">Debate</button>" in page and ">Admit</button>" not in page
    refused = _post(admin, "conference_motion_status", found, 1, data={"status": "adopted"})
    assert "status: motion 1 is admitted; only debated follows" in refused
    bad = _post(admin, "conference_motion_status", found, 1, data={"status": "flying"})
    assert "Status: Select a valid choice. flying is not one of the available choices." in bad
    for status in ("debated", "referred"):
        _post(admin, "conference_motion_status", found, 1, data={"status": status})
    assert Motion.objects.get(conference=found).status == "referred"
    page = unescape(admin.get(_url("conference_session", found)).content.decode())
    assert ">Adopt</button>" not in page and "Amend motion 1" not in page
    # A delegate may not move motions on; a motion the conference does not have is a 404.
    assert hall["phone"].post(_url("conference_motion_status", found, 1), {"status": "adopted"}).status_code == 403
    assert admin.post(_url("conference_motion_status", found, 9), {"status": "admitted"}).status_code == 404
    assert Motion.objects.get(conference=found).status == "referred"


def test_a_delegate_amends_one_paragraph_and_sees_the_text_it_gives(hall):
    found, phone = hall["found"], hall["phone"]
    _motion(hall)
    page = unescape(phone.get(_url("conference_session", found)).content.decode())
    assert '<ol class="paragraphs"><li>We strike.</li><li>From May.</li><li>Until repairs.</li></ol>' in page
    assert '<option value="2">paragraph 2: From May.</option>' in page
    done = _post(phone, "conference_motion_amend", found, 1, data={"paragraph": "2", "text": "From June."})
    assert "Amendment 1 to motion 1 (paragraph 2) submitted." in done
    amendment = Amendment.objects.get()
    assert (amendment.paragraph, amendment.text, amendment.delegate) == (2, "From June.", hall["delegates"][0])
    preview = done.split('data-preview="1"')[1].split("</details>")[0]
    assert "<p>We strike.</p>\n\n<p>From June.</p>\n\n<p>Until repairs.</p>" in preview
    assert "Amendment 1 (paragraph 2, submitted): From June." in done
    whole = _post(hall["admin"], "conference_motion_amend", found, 1, data={"paragraph": "", "text": "We don't."})
    assert "Amendment 2 to motion 1 (the whole text) submitted." in whole
    assert Amendment.objects.get(number=2).paragraph is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"paragraph": "7", "text": "X."}, "paragraph: motion 1 has 3 paragraph(s); there is no paragraph 7"),
        ({"paragraph": "2", "text": "One.\n\nTwo."}, "text: a paragraph's replacement is one paragraph"),
        ({"paragraph": "2", "text": ""}, "New text: This field is required."),
        ({"paragraph": "two", "text": "X."}, "Paragraph: Enter a whole number."),
        ({"paragraph": "0", "text": "X."}, "Paragraph: Ensure this value is greater than or equal to 1."),
        ({"text": "x" * 50_001}, "New text: Ensure this value has at most 50000 characters (it has 50001)."),
    ],
)
def test_a_refused_amendment_names_its_field(hall, data, message):
    _motion(hall)
    page = _post(hall["phone"], "conference_motion_amend", hall["found"], 1, data=data)
    assert message in page
    assert not Amendment.objects.exists()
    kept = data["text"][:50_000]
    assert f'<textarea id="amend-1-text" name="text" rows="4" required maxlength="50000">{kept}</textarea>' in page
    if data.get("paragraph") == "2":
        assert '<option value="2" selected>' in page


def test_a_decided_motion_takes_no_amendment(hall):
    motion = _motion(hall)
    for status in ("admitted", "debated", "rejected"):
        assembly.set_motion_status(motion=motion, status=status, by="test")
    page = _post(hall["admin"], "conference_motion_amend", hall["found"], 1, data={"text": "X."})
    assert "status: motion 1 is rejected; it takes no amendments" in page
    assert not Amendment.objects.exists()


def test_an_adopted_motion_is_published_as_a_resolution(hall, org):
    found, admin = hall["found"], hall["admin"]
    motion = _motion(hall)
    _motion(hall, title="Dues")
    for status in ("admitted", "debated", "adopted"):
        assembly.set_motion_status(motion=motion, status=status, by="test")
    page = unescape(admin.get(_url("conference_session", found)).content.decode())
    assert "To publish this resolution, draft an issue" in page
    gazette = bulletin.add_publication(organization=org, name="Gazette", by="test")
    bulletin.add_issue(publication=gazette, title="Congress", by="test")
    page = unescape(admin.get(_url("conference_session", found)).content.decode())
    assert '<option value="gazette:1">Gazette, issue 1: Congress (draft)</option>' in page
    assert page.count("Publish as a resolution in") == 1  # motion 2 is not adopted
    done = _post(admin, "conference_motion_publish", found, 1, data={"issue": "gazette:1"})
    assert "Resolution 1: Rent strike is in Gazette no. 1." in done
    assert "Published in the bulletin as resolution 1." in done
    article = Article.objects.get()
    assert (article.title, article.body, article.author) == ("Resolution 1: Rent strike", TEXT, found.name)
    again = _post(admin, "conference_motion_publish", found, 1, data={"issue": "gazette:1"})
    assert "article: resolution 1 is already published" in again
    assert "status: motion 2 is submitted; only an adopted motion (a resolution) is published" in _post(
        admin, "conference_motion_publish", found, 2, data={"issue": "gazette:1"}
    )
    missing = _post(admin, "conference_motion_publish", found, 1, data={"issue": "gazette:9"})
    assert f"issue: {org.name} has no issue 9 of 'gazette'" in missing
    bogus = _post(admin, "conference_motion_publish", found, 2, data={"issue": "Congress; drop"})
    assert "Issue: choose a draft or scheduled issue of the bulletin" in bogus
    assert Article.objects.count() == 1


def test_a_poll_on_an_amendment_closed_by_the_totals_counted(hall):
    """The issue's known poll, by a show of hands: yes 20, no 7 of valid votes is 74.07 % and
    passes two thirds; the amendment is adopted and the motion's text changes."""
    found, admin = hall["found"], hall["admin"]
    _motion(hall)
    assembly.add_amendment(motion=Motion.objects.get(), paragraph=2, text="From June.", by="test")
    page = unescape(admin.get(_url("conference_session", found)).content.decode())
    assert '<option value="amendment:1.1">Amendment 1 to motion 1</option>' in page
    data = {"target": "amendment:1.1", "subject": "", "kind": "yes-no-abstain", "base": "valid",
            "majority": "two-thirds", "counting": "totals"}  # fmt: skip
    assert "prepared: Amendment 1 to motion 1." in _post(admin, "conference_poll_add", found, data=data)
    poll = Poll.objects.get()
    assert (poll.amendment.number, poll.motion, poll.named, poll.majority) == (1, None, False, "two-thirds")
    admin.post(_url("conference_poll_step", found, poll.pk, "open"))
    page = unescape(admin.get(_url("conference_session", found)).content.decode())
    assert "Close with these totals" in page and "Close and count" not in page
    over = _post(admin, "conference_poll_totals", found, poll.pk, data={"yes": "20", "no": "10"})
    assert "totals: 30 votes entered, more than the 27 the present voters carry" in over
    bad = _post(admin, "conference_poll_totals", found, poll.pk, data={"yes": "many"})
    assert "Yes: Enter a whole number." in bad
    negative = _post(admin, "conference_poll_totals", found, poll.pk, data={"yes": "-1"})
    assert "Yes: Ensure this value is greater than or equal to 0." in negative
    assert Poll.objects.get().state == "open"
    done = _post(admin, "conference_poll_totals", found, poll.pk, data={"yes": "20", "no": "7", "abstain": "0"})
    assert f"Poll {poll.pk} closed: passed." in done
    assert "74.07 %" in done and 'data-passed="yes"' in done and "two thirds majority" in done
    assert Motion.objects.get().text == "We strike.\n\nFrom June.\n\nUntil repairs."
    assert Amendment.objects.get().status == "adopted"
    again = _post(admin, "conference_poll_totals", found, poll.pk, data={"yes": "1"})
    assert f"state: poll {poll.pk} is closed; only an open poll closes" in again


def test_a_named_poll_takes_no_totals(hall):
    found, admin = hall["found"], hall["admin"]
    data = {"subject": "Lunch", "kind": "yes-no", "base": "valid", "majority": "custom", "fraction": "3/4",
            "counting": "named"}  # fmt: skip
    assert "prepared: Lunch." in _post(admin, "conference_poll_add", found, data=data)
    poll = Poll.objects.get()
    assert (poll.subject, poll.kind, poll.majority, poll.named, poll.state) == ("Lunch", "yes-no", "3/4", True, "draft")
    refused = _post(admin, "conference_poll_totals", found, poll.pk, data={"yes": "3"})
    assert f"totals: poll {poll.pk} is counted by named votes; enter no totals" in refused


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subject": ""}, "subject: required"),
        ({"majority": "custom"}, "Fraction: give the share of the base, like 3/4"),
        ({"majority": "custom", "fraction": "most"}, "majority: 'most' is not one of simple, absolute, two-thirds"),
        ({"majority": "custom", "fraction": "3/2"}, "majority: the share 3/2 must be more than 0 and at most 1"),
        ({"kind": "yes"}, "base: a yes-only poll counts only yes votes"),
        ({"kind": "maybe"}, "Kind: Select a valid choice. maybe is not one of the available choices."),
        ({"target": "motion:1; x"}, "On: choose a motion, an amendment or a free subject"),
        ({"subject": "x" * 201}, "Subject: Ensure this value has at most 200 characters (it has 201)."),
    ],
)
def test_a_refused_poll_names_its_field(hall, change, message):
    data = {"subject": "Lunch", "kind": "yes-no-abstain", "base": "valid", "majority": "simple",
            "counting": "named"} | change  # fmt: skip
    assert message in _post(hall["admin"], "conference_poll_add", hall["found"], data=data)
    assert not Poll.objects.exists()


def test_scope_of_the_forms(hall, org):
    """Another conference's poll or a motion this one lacks is a 404; a delegate's organizer step is
    a 403; who sees nothing of the conference gets 404 everywhere; nothing changes."""
    found, admin, phone = hall["found"], hall["admin"], hall["phone"]
    other = conference(hall["scene"]["north"], seats=3)
    elsewhere = Poll.objects.create(
        conference=other, subject="Theirs", kind="yes-no", base="valid", majority="simple", named=False,
        state="open", created_at=timezone.now(),
    )  # fmt: skip
    assert admin.post(_url("conference_poll_totals", found, elsewhere.pk), {"yes": "1"}).status_code == 404
    poll = {"target": "motion:4", "subject": "X", "kind": "yes-no", "base": "valid", "majority": "simple",
            "counting": "named"}  # fmt: skip
    assert admin.post(_url("conference_poll_add", found), poll).status_code == 404
    assert admin.post(_url("conference_poll_add", found), poll | {"target": "amendment:1.1"}).status_code == 404
    assert admin.post(_url("conference_motion_amend", found, 1), {"text": "X."}).status_code == 404
    assert admin.post(_url("conference_motion_publish", found, 1), {"issue": "g:1"}).status_code == 404
    assert phone.post(_url("conference_poll_add", found), poll | {"target": ""}).status_code == 403
    assert phone.post(_url("conference_poll_totals", found, elsewhere.pk), {"yes": "1"}).status_code == 403
    outsider = sign_in(Client(), builders.account(org, "x@example.org"))
    assert outsider.post(_url("conference_motion_add", found), {"title": "T", "text": "T"}).status_code == 404
    assert outsider.get(_url("conference_session", found)).status_code == 404
    assert Poll.objects.get(pk=elsewhere.pk).state == "open" and Poll.objects.count() == 1
    assert not Motion.objects.exists()


def _queries(client, found) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(_url("conference_session", found)).status_code == 200
    return len(captured)


def test_the_session_page_runs_the_same_queries_however_long_the_agenda(hall, org):
    found, admin, phone = hall["found"], hall["admin"], hall["phone"]
    gazette = bulletin.add_publication(organization=org, name="Gazette", by="test")
    bulletin.add_issue(publication=gazette, title="Congress", by="test")
    first = _motion(hall)
    assembly.add_amendment(motion=first, paragraph=1, text="We stop.", by="test")
    assembly.add_poll(conference=found, motion=first, by="test")
    small = _queries(admin, found), _queries(phone, found)
    for number in range(2, 8):
        motion = _motion(hall, title=f"Motion {number}")
        for _ in range(3):
            amendment = assembly.add_amendment(motion=motion, paragraph=2, text="Later.", by="test")
        assembly.add_poll(conference=found, amendment=amendment, named=False, by="test")
        for status in ("admitted", "debated", "adopted")[: number % 4]:
            assembly.set_motion_status(motion=motion, status=status, by="test")
    bulletin.add_issue(publication=gazette, title="Extra", by="test")
    assert (_queries(admin, found), _queries(phone, found)) == small
    page = unescape(admin.get(_url("conference_session", found)).content.decode())
    # Open: motion 1 (one amendment), 2, 4, 5 and 6 (three each); adopted and unpublished: 3 and 7.
    assert page.count('class="preview"') == 1 + 4 * 3 and page.count("Publish as a resolution in") == 2
