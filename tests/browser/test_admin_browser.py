"""The admin desk in headless Chromium: real logins, clicks and form fills against the live server.

Each step leaves a screenshot in ``test-artifacts/browser/`` (see ``conftest.py``)."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.services import instructor_grant
from courseware.models import Certificate, Course, Enrollment
from lessons.models import Lesson
from tests.factories import (
    PASSWORD,
    AdminFactory,
    CertificateFactory,
    InstructorFactory,
    UserFactory,
    build_course,
)

pytestmark = pytest.mark.browser


def log_in(page: Page, user: User) -> None:
    """Through the admin's login form, as a person would."""
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def open_changelist(page: Page, model_name: str) -> None:
    """Click the model's row on the admin index (the app captions are links too)."""
    page.goto("/admin/")
    page.locator(f"#content-main tr.model-{model_name} th a").click()


def messages(page: Page):
    return page.locator("ul.messagelist")


def test_admin_bulk_enrolls_two_learners(page: Page, screenshot):
    admin = AdminFactory()
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False, title="Browser basics")
    ada, bob = UserFactory(), UserFactory()

    log_in(page, admin)
    expect(page.get_by_role("heading", name="Courses, learners and certificates")).to_be_visible()
    screenshot("logged-in")

    open_changelist(page, "course")
    page.get_by_role("link", name="Browser basics").click()
    page.get_by_role("link", name="Bulk enroll").click()
    expect(page.get_by_role("heading", name="Bulk enroll into “Browser basics”")).to_be_visible()
    page.locator("textarea[name=identifiers]").fill(f"{ada.username}\n{bob.username}")
    screenshot("bulk-enroll-form")
    page.get_by_role("button", name="Enroll").click()

    expect(page).to_have_url(re.compile(rf"/admin/courseware/course/{course.pk}/change/$"))
    success = messages(page).locator("li.success")
    expect(success).to_contain_text("Enrolled 2:")
    expect(success).to_contain_text(ada.username)
    expect(success).to_contain_text(bob.username)
    screenshot("enrolled")

    enrolled = Enrollment.objects.filter(course=course, status=Enrollment.Status.ACTIVE)
    assert set(enrolled.values_list("learner__username", flat=True)) == {ada.username, bob.username}


def test_instructor_edits_a_lesson_and_publishes_only_their_own_course(page: Page, screenshot):
    instructor = InstructorFactory()
    instructor_grant(user=instructor)  # the "Grant instructor role" action: staff, in the group
    other = InstructorFactory()
    instructor_grant(user=other)
    course = build_course(modules=1, lessons_per_module=2, quiz_per_module=False, title="Draft drawing")
    course.instructors.add(instructor)
    Course.objects.filter(pk=course.pk).update(is_published=False, published_at=None)
    foreign = build_course(modules=1, lessons_per_module=1, quiz_per_module=False, title="Foreign finance")
    foreign.instructors.add(other)
    lesson = Lesson.objects.filter(course=course).order_by("position").first()
    html_before = lesson.body_html

    log_in(page, instructor)
    screenshot("logged-in")

    # The lesson: edit the Markdown, save and keep editing; the preview shows the new rendering.
    open_changelist(page, "lesson")
    page.get_by_role("link", name=lesson.title, exact=True).click()
    expect(page.locator(".lesson-preview")).to_contain_text("lesson text")
    page.locator("textarea[name=body_markdown]").fill("## Perspective\n\nTwo **vanishing** points.")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(messages(page).locator("li.success")).to_contain_text("was changed successfully")
    expect(page.locator(".lesson-preview h2")).to_have_text("Perspective")
    expect(page.locator(".lesson-preview strong")).to_have_text("vanishing")
    screenshot("lesson-saved")

    lesson.refresh_from_db()
    # Browsers submit a textarea's line breaks as CRLF.
    assert lesson.body_markdown.replace("\r\n", "\n") == "## Perspective\n\nTwo **vanishing** points."
    assert lesson.body_html != html_before
    assert "<strong>vanishing</strong>" in lesson.body_html

    # The course list shows only the instructor's course; publish it with the list action.
    open_changelist(page, "course")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Draft drawing")
    expect(page.locator("#result_list")).not_to_contain_text("Foreign finance")
    screenshot("course-list")
    rows.locator("input[name=_selected_action]").check()
    page.get_by_label("Action:").select_option("publish")
    page.get_by_role("button", name="Run").click()
    expect(messages(page).locator("li.success")).to_contain_text("1 course(s) published.")
    screenshot("course-published")

    course.refresh_from_db()
    assert course.is_published
    assert course.published_at is not None

    # Another instructor's course, opened by its URL: absent, as if it did not exist.
    page.goto(f"/admin/courseware/course/{foreign.pk}/change/")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(messages(page).locator("li.warning")).to_contain_text("Perhaps it was deleted?")
    expect(page.locator("#content")).not_to_contain_text("Foreign finance")
    screenshot("foreign-course-hidden")


def test_public_certificate_page_shows_the_certificate_and_then_its_revocation(page: Page, open_page, screenshot):
    learner = UserFactory(first_name="Grace", last_name="Hopper")
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False, title="Compilers for everyone")
    certificate = CertificateFactory(learner=learner, course=course)

    # Anyone with the code, no login.
    page.goto(f"/certificates/{certificate.code}/")
    expect(page.get_by_role("heading", name="Certificate of Completion")).to_be_visible()
    expect(page.locator("[data-status]")).to_have_text("Valid")
    details = page.locator("dl")
    expect(details).to_contain_text("Grace Hopper")
    expect(details).to_contain_text("Compilers for everyone")
    expect(details).to_contain_text(certificate.code)
    expect(page.get_by_role("link", name="Download the certificate (PDF)")).to_be_visible()
    screenshot("valid")

    # An admin revokes it from the certificate's admin page ...
    desk = open_page()
    log_in(desk, AdminFactory())
    open_changelist(desk, "certificate")
    desk.get_by_role("link", name=certificate.code, exact=True).click()
    desk.get_by_label("Action:").select_option("revoke")
    desk.get_by_role("button", name="Run").click()
    expect(messages(desk).locator("li.success")).to_contain_text("Revoked 1 certificate(s).")
    screenshot("revoked-in-admin", of=desk)
    certificate.refresh_from_db()
    assert certificate.revoked

    # ... and the visitor, reloading (caches must revalidate the page), sees it revoked.
    page.reload()
    expect(page.locator("[data-status]")).to_have_text("Revoked")
    expect(page.locator("main")).to_contain_text("It is no longer valid.")
    expect(page.locator("dl")).to_contain_text(certificate.code)
    expect(page.get_by_role("link", name="Download the certificate (PDF)")).to_have_count(0)
    screenshot("revoked")
    assert Certificate.objects.filter(code=certificate.code, revoked=True).exists()
