"""The admin as the instructors' and admins' desk, driven through Django's test client."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.services import instructor_grant
from courseware.models import Certificate, Course, Enrollment, EnrollmentEvent, Module
from learning.certificates.services import certificate_email_queue
from lessons.models import Lesson
from notifications.models import OutboundEmail
from quizzes.models import Choice, Question, Quiz, QuizOverride, QuizOverrideGrant, Regrade
from tests.factories import (
    CertificateFactory,
    EnrollmentFactory,
    InstructorFactory,
    LessonFactory,
    UserFactory,
    build_course,
)

OUR_APPS = ("accounts", "courseware", "lessons", "quizzes", "notifications")
REGISTERED = sorted(
    (m for app in OUR_APPS for m in apps.get_app_config(app).get_models() if admin.site.is_registered(m)),
    key=lambda m: m._meta.label,
)


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def changelist_rows(client, model) -> list:
    response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    return list(response.context["cl"].queryset)


def action(client, model, name: str, objs, **extra):
    return client.post(url(model, "changelist"), {"action": name, "_selected_action": [o.pk for o in objs], **extra})


def management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def one_of_each(course: Course, learner: User) -> dict:
    certificate = CertificateFactory(course=course, learner=learner)
    return {
        User: learner,
        Course: course,
        Module: course.modules.first(),
        Lesson: Lesson.objects.filter(course=course).first(),
        Quiz: Quiz.objects.filter(course=course).first(),
        Question: Question.objects.filter(quiz__course=course).first(),
        Enrollment: EnrollmentFactory(course=course, learner=learner),
        Certificate: certificate,
        OutboundEmail: OutboundEmail.objects.create(
            key="welcome:test", kind="welcome", user=learner, recipient=learner.email, status="failed"
        ),
        QuizOverride: _override(course, learner),
        Regrade: Regrade.objects.create(quiz=Quiz.objects.filter(course=course).first(), key_version=0),
    }


def _override(course: Course, learner: User) -> QuizOverride:
    override = QuizOverride.objects.create(
        quiz=Quiz.objects.filter(course=course).first(), learner=learner, course=course, extra_attempts=1
    )
    QuizOverrideGrant.objects.create(override=override, extra_attempts=1, extra_minutes=0, note="a test")
    return override


@pytest.fixture
def staff_instructor(db):
    """An instructor as the "Grant instructor role" action leaves them: staff, in the group."""
    user = InstructorFactory()
    instructor_grant(user=user)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def other_instructor(db):
    user = InstructorFactory()
    instructor_grant(user=user)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def course_a(staff_instructor):
    course = build_course(title="Alpha algebra", slug="alpha")
    course.instructors.add(staff_instructor)
    return course


@pytest.fixture
def course_b(other_instructor):
    course = build_course(title="Beta biology", slug="beta")
    course.instructors.add(other_instructor)
    return course


# --- Every page renders for an admin ----------------------------------------------------------
def test_every_model_of_the_platform_is_registered():
    labels = {m._meta.label for m in REGISTERED}
    assert labels == {
        "accounts.User",
        "courseware.Course",
        "courseware.Module",
        "courseware.Enrollment",
        "courseware.Certificate",
        "lessons.Lesson",
        "quizzes.Quiz",
        "quizzes.Question",
        "quizzes.QuizOverride",
        "quizzes.Regrade",
        "notifications.OutboundEmail",
    }


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_admin_pages_render_for_superuser(client, admin_user, course, learner, model):
    obj = one_of_each(course, learner)[model]
    client.force_login(admin_user)
    assert client.get(url(model, "changelist")).status_code == 200
    assert client.get(url(model, "changelist"), {"q": "a"}).status_code == 200
    assert client.get(url(model, "change", obj.pk)).status_code == 200
    model_admin = admin.site.get_model_admin(model)
    request = client.get(url(model, "changelist")).wsgi_request
    if model_admin.has_add_permission(request):
        assert client.get(url(model, "add")).status_code == 200
    else:
        assert client.get(url(model, "add")).status_code == 403


def test_admin_index_has_our_title(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Courses admin" in response.content.decode()


def test_course_changelist_queries_do_not_grow_with_rows(client, admin_user):
    client.force_login(admin_user)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(Course, "changelist")).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
        course.instructors.add(InstructorFactory())
        EnrollmentFactory(course=course)
    few = count()
    for _ in range(4):
        course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
        course.instructors.add(InstructorFactory(), InstructorFactory())
        EnrollmentFactory(course=course)
        EnrollmentFactory(course=course, status=Enrollment.Status.DROPPED)
    assert count() == few
    response = client.get(url(Course, "changelist"))
    counts = {c.pk: c.enrollment_count for c in response.context["cl"].result_list}
    assert set(counts.values()) == {1}  # dropped enrollments are not counted


# --- Lessons: rendered preview, course follows the module, structure changes bump the version ---
def test_lesson_saved_in_admin_renders_sanitized_markdown(client, admin_user, course):
    module = course.modules.order_by("position").first()
    version = course.content_version
    client.force_login(admin_user)
    body = "Some **bold** text.\n\n<script>alert('owned')</script>\n\n[click](javascript:alert(1))"
    response = client.post(
        url(Lesson, "add"),
        {
            "module": module.pk,
            "position": 9,
            "title": "Safety",
            "slug": "safety",
            "estimated_minutes": 5,
            "body_markdown": body,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    lesson = Lesson.objects.get(slug="safety")
    assert lesson.course_id == course.pk
    assert "<strong>bold</strong>" in lesson.body_html
    assert "<script" not in lesson.body_html and "javascript:" not in lesson.body_html
    course.refresh_from_db()
    assert course.content_version == version  # an admin edit changes the draft; learners' version waits

    page = client.get(url(Lesson, "change", lesson.pk)).content.decode()
    preview = page.split('<div class="lesson-preview">', 1)[1].split("</div>", 1)[0]
    assert "<strong>bold</strong>" in preview
    assert "<script" not in preview
    assert "<script>alert" not in page  # the Markdown source is shown escaped


def test_lesson_preview_sanitizes_a_row_written_elsewhere(client, admin_user, course):
    lesson = LessonFactory(
        module=course.modules.first(), course=course, position=50, body_html="<p>ok</p><script>alert(1)</script>"
    )
    client.force_login(admin_user)
    page = client.get(url(Lesson, "change", lesson.pk)).content.decode()
    preview = page.split('<div class="lesson-preview">', 1)[1].split("</div>", 1)[0]
    assert "<p>ok</p>" in preview and "<script" not in preview


def test_lesson_title_edit_touches_but_does_not_bump_the_version(client, admin_user, course):
    lesson = Lesson.objects.filter(course=course).first()
    course.refresh_from_db()
    version, updated = course.content_version, course.updated_at
    client.force_login(admin_user)
    response = client.post(
        url(Lesson, "change", lesson.pk),
        {
            "module": lesson.module_id,
            "position": lesson.position,
            "title": "Renamed",
            "slug": lesson.slug,
            "estimated_minutes": 5,
            "body_markdown": "New *text*",
        },
    )
    assert response.status_code == 302
    lesson.refresh_from_db()
    course.refresh_from_db()
    assert lesson.body_html == "<p>New <em>text</em></p>"
    assert course.content_version == version
    assert course.updated_at > updated


def test_lesson_slug_must_be_unique_in_the_course(client, admin_user, course):
    other = Lesson.objects.filter(course=course).first()
    module = course.modules.order_by("-position").first()
    client.force_login(admin_user)
    response = client.post(
        url(Lesson, "add"),
        {"module": module.pk, "position": 40, "title": "Dup", "slug": other.slug, "estimated_minutes": 5},
    )
    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors


def test_module_page_adds_and_moves_lessons_in_the_draft(client, admin_user, course):
    module = course.modules.order_by("position").first()
    lessons = list(module.lessons.order_by("position"))
    quizzes = list(module.quizzes.order_by("position"))
    version = course.content_version
    data = {
        "course": course.pk,
        "position": module.position,
        "title": module.title,
        "slug": module.slug,
        "summary": "",
        **management("lessons", len(lessons) + 1, len(lessons)),
        **management("quizzes", len(quizzes), len(quizzes)),
    }
    for i, lesson in enumerate(lessons):
        data |= {
            f"lessons-{i}-id": lesson.pk,
            f"lessons-{i}-module": module.pk,
            f"lessons-{i}-title": lesson.title,
            f"lessons-{i}-slug": lesson.slug,
            f"lessons-{i}-position": lesson.position + 10,
            f"lessons-{i}-estimated_minutes": 5,
        }
    n = len(lessons)
    data |= {
        f"lessons-{n}-module": module.pk,
        f"lessons-{n}-title": "Added",
        f"lessons-{n}-slug": "added-lesson",
        f"lessons-{n}-position": 20,
        f"lessons-{n}-estimated_minutes": 7,
    }
    for i, quiz in enumerate(quizzes):
        data |= {
            f"quizzes-{i}-id": quiz.pk,
            f"quizzes-{i}-module": module.pk,
            f"quizzes-{i}-title": quiz.title,
            f"quizzes-{i}-slug": quiz.slug,
            f"quizzes-{i}-position": quiz.position,
            f"quizzes-{i}-pass_percent": quiz.pass_percent,
            f"quizzes-{i}-max_attempts": quiz.max_attempts,
        }
    client.force_login(admin_user)
    response = client.post(url(Module, "change", module.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    added = Lesson.objects.get(slug="added-lesson")
    assert added.course_id == course.pk and added.module_id == module.pk
    assert added.body_html == ""
    course.refresh_from_db()
    assert course.content_version == version  # an admin edit changes the draft; learners' version waits


def test_module_cannot_change_course(client, admin_user, course):
    other = build_course(modules=1)
    module = course.modules.first()
    client.force_login(admin_user)
    response = client.post(
        url(Module, "change", module.pk),
        {
            "course": other.pk,
            "position": module.position,
            "title": module.title,
            "slug": module.slug,
            **management("lessons"),
            **management("quizzes"),
        },
    )
    assert response.status_code == 302
    module.refresh_from_db()
    assert module.course_id == course.pk


def test_deleting_a_lesson_retires_it_from_the_draft(client, admin_user, course):
    lesson = Lesson.objects.filter(course=course).first()
    version = course.content_version
    client.force_login(admin_user)
    response = client.post(url(Lesson, "delete", lesson.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Lesson.objects.filter(pk=lesson.pk).exists()
    course.refresh_from_db()
    assert course.content_version == version  # an admin edit changes the draft; learners' version waits


# --- Instructor scoping -------------------------------------------------------------------------
def test_instructor_sees_only_their_course_rows(client, staff_instructor, course_a, course_b):
    EnrollmentFactory(course=course_a)
    EnrollmentFactory(course=course_b)
    client.force_login(staff_instructor)
    assert changelist_rows(client, Course) == [course_a]
    assert {m.course_id for m in changelist_rows(client, Module)} == {course_a.pk}
    assert {lesson.course_id for lesson in changelist_rows(client, Lesson)} == {course_a.pk}
    assert {q.course_id for q in changelist_rows(client, Quiz)} == {course_a.pk}
    assert {q.quiz.course_id for q in changelist_rows(client, Question)} == {course_a.pk}
    assert {e.course_id for e in changelist_rows(client, Enrollment)} == {course_a.pk}
    assert len(changelist_rows(client, Lesson)) == Lesson.objects.filter(course=course_a).count()
    assert client.get(url(Course, "change", course_a.pk)).status_code == 200


def test_instructor_cannot_open_another_instructors_rows(client, staff_instructor, course_a, course_b):
    client.force_login(staff_instructor)
    lesson_b = Lesson.objects.filter(course=course_b).first()
    for model, obj in [
        (Course, course_b),
        (Lesson, lesson_b),
        (Module, course_b.modules.first()),
        (Quiz, Quiz.objects.filter(course=course_b).first()),
    ]:
        response = client.get(url(model, "change", obj.pk))
        assert response.status_code in (302, 404)
        if response.status_code == 302:
            assert response["Location"] == reverse("admin:index")
    assert client.get(url(Course, "bulk_enroll", course_b.pk)).status_code == 404
    response = client.post(url(Lesson, "delete", lesson_b.pk), {"post": "yes"})
    assert response.status_code in (302, 404)
    assert Lesson.objects.filter(pk=lesson_b.pk).exists()


def test_instructor_pickers_offer_only_their_rows(client, staff_instructor, course_a, course_b):
    client.force_login(staff_instructor)
    form = client.get(url(Lesson, "add")).context["adminform"].form
    assert {m.course_id for m in form.fields["module"].queryset} == {course_a.pk}
    form = client.get(url(Module, "add")).context["adminform"].form
    assert list(form.fields["course"].queryset) == [course_a]
    form = client.get(url(Question, "add")).context["adminform"].form
    assert {q.course_id for q in form.fields["quiz"].queryset} == {course_a.pk}

    module_b = course_b.modules.first()
    response = client.post(
        url(Lesson, "add"),
        {"module": module_b.pk, "position": 30, "title": "Sneaky", "slug": "sneaky", "estimated_minutes": 5},
    )
    assert response.status_code == 200
    assert "module" in response.context["adminform"].form.errors
    assert not Lesson.objects.filter(slug="sneaky").exists()


def test_instructor_course_page_cannot_change_instructors(client, staff_instructor, other_instructor, course_a):
    client.force_login(staff_instructor)
    form = client.get(url(Course, "change", course_a.pk)).context["adminform"].form
    assert "instructors" not in form.fields


def test_instructor_creates_a_course_and_teaches_it(client, staff_instructor):
    client.force_login(staff_instructor)
    response = client.post(
        url(Course, "add"),
        {
            "title": "Gamma geometry",
            "slug": "gamma",
            "summary": "Shapes.",
            "description": "",
            "estimated_hours": "2.5",
            "capacity": "",
            "enrollment_opens_at_0": "",
            "enrollment_opens_at_1": "",
            "enrollment_closes_at_0": "",
            "enrollment_closes_at_1": "",
            **management("modules", 1),
        }
        | {"modules-0-position": 1, "modules-0-title": "Start", "modules-0-slug": "start", "modules-0-summary": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    course = Course.objects.get(slug="gamma")
    assert list(course.instructors.all()) == [staff_instructor]
    assert not course.is_published
    assert list(course.modules.values_list("slug", flat=True)) == ["start"]
    assert changelist_rows(client, Course) == [course]


def test_certificates_and_email_log_are_admin_only(client, staff_instructor, course_a):
    client.force_login(staff_instructor)
    assert client.get(url(Certificate, "changelist")).status_code == 403
    assert client.get(url(OutboundEmail, "changelist")).status_code == 403
    assert client.get(url(User, "changelist")).status_code == 403


def test_grant_instructor_role_action(client, admin_user):
    user = UserFactory()
    client.force_login(admin_user)
    response = action(client, User, "grant_instructor_role", [user])
    assert response.status_code == 302
    user = User.objects.get(pk=user.pk)
    assert user.is_staff and user.groups.filter(name="instructors").exists()
    assert user.has_perm("courseware.change_course") and user.has_perm("lessons.add_lesson")
    assert user.has_perm("courseware.view_enrollment") and not user.has_perm("courseware.view_certificate")
    course = build_course(title="Delta drawing", slug="delta")
    course.instructors.add(user)
    build_course(title="Epsilon ethics", slug="epsilon")
    client.force_login(user)
    assert changelist_rows(client, Course) == [course]


def test_instructor_picker_offers_only_instructors(client, admin_user, staff_instructor, learner):
    client.force_login(admin_user)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "courseware", "model_name": "course", "field_name": "instructors", "term": ""},
    )
    assert response.status_code == 200
    ids = {int(row["id"]) for row in response.json()["results"]}
    assert staff_instructor.pk in ids and admin_user.pk in ids and learner.pk not in ids


def test_user_changelist_shows_roles(client, admin_user, staff_instructor, learner):
    client.force_login(admin_user)
    response = client.get(url(User, "changelist"))
    page = response.content.decode()
    assert "learner, instructor, admin" in page and "learner, instructor" in page


# --- Courses: publish ------------------------------------------------------------------------------
def test_publish_and_unpublish_actions(client, admin_user):
    course = build_course(is_published=False)
    empty = build_course(modules=0, is_published=False)
    client.force_login(admin_user)
    response = action(client, Course, "publish", [course, empty])
    assert response.status_code == 302
    course.refresh_from_db()
    empty.refresh_from_db()
    assert course.is_published and course.published_at is not None
    assert not empty.is_published
    assert any("at least one lesson" in m for m in messages_of(response))
    action(client, Course, "unpublish", [course])
    course.refresh_from_db()
    assert not course.is_published


# --- Enrollments ------------------------------------------------------------------------------------
def test_bulk_enroll_view(client, admin_user, course):
    by_name = UserFactory(username="ada")
    by_email = UserFactory(username="grace", email="grace@example.com")
    already = EnrollmentFactory(course=course).learner
    dropped = EnrollmentFactory(course=course, status=Enrollment.Status.DROPPED).learner
    client.force_login(admin_user)
    page = client.get(url(Course, "bulk_enroll", course.pk))
    assert page.status_code == 200
    assert url(Course, "bulk_enroll", course.pk) in client.get(url(Course, "change", course.pk)).content.decode()

    upload = SimpleUploadedFile(
        "learners.csv", b"name,email\nGrace,GRACE@example.com\nNobody,nobody@example.com\n", content_type="text/csv"
    )
    response = client.post(
        url(Course, "bulk_enroll", course.pk),
        {"identifiers": f"ada, {already.username}\n{dropped.email}\nghost", "csv_file": upload},
    )
    assert response.status_code == 302
    assert response["Location"] == url(Course, "change", course.pk)
    enrollments = {e.learner_id: e for e in Enrollment.objects.filter(course=course)}
    assert enrollments[by_name.pk].status == Enrollment.Status.ACTIVE
    assert enrollments[by_email.pk].status == Enrollment.Status.ACTIVE
    assert enrollments[dropped.pk].status == Enrollment.Status.ACTIVE
    assert len(enrollments) == 4
    assert EnrollmentEvent.objects.get(enrollment=enrollments[by_name.pk]).actor == admin_user
    msgs = messages_of(response)
    assert any(m.startswith("Enrolled 3:") and "ada" in m and "GRACE@example.com" in m for m in msgs)
    assert any(m.startswith("Already enrolled 1:") and already.username in m for m in msgs)
    assert any(m.startswith("Unknown 2") and "ghost" in m and "nobody@example.com" in m for m in msgs)


def test_bulk_enroll_needs_someone(client, admin_user, course):
    client.force_login(admin_user)
    response = client.post(url(Course, "bulk_enroll", course.pk), {"identifiers": " , \n"})
    assert response.status_code == 200
    assert "Enter at least one username or email" in response.content.decode()


def test_instructor_bulk_enrolls_into_their_course(client, staff_instructor, course_a):
    learner = UserFactory()
    client.force_login(staff_instructor)
    response = client.post(url(Course, "bulk_enroll", course_a.pk), {"identifiers": learner.username})
    assert response.status_code == 302
    assert Enrollment.objects.filter(course=course_a, learner=learner, status="active").exists()


def test_drop_action(client, staff_instructor, course_a, course_b):
    mine = EnrollmentFactory(course=course_a)
    theirs = EnrollmentFactory(course=course_b)
    client.force_login(staff_instructor)
    response = action(client, Enrollment, "drop", [mine, theirs])
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == Enrollment.Status.DROPPED and mine.dropped_at is not None
    assert theirs.status == Enrollment.Status.ACTIVE  # outside the instructor's rows: untouched
    event = EnrollmentEvent.objects.get(enrollment=mine, action=EnrollmentEvent.Action.DROPPED)
    assert event.actor == staff_instructor
    response = client.get(url(Enrollment, "change", mine.pk))
    (events,) = response.context["inline_admin_formsets"]  # the read-only audit trail
    assert [form.original.action for form in events] == ["dropped"]
    assert not events.has_add_permission and not events.has_delete_permission


def test_drop_from_the_enrollment_page(client, admin_user, course):
    enrollment = EnrollmentFactory(course=course)
    client.force_login(admin_user)
    response = client.post(
        url(Enrollment, "change", enrollment.pk), {"CHANGE_FORM-action": "drop", "_selected_action": [enrollment.pk]}
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.DROPPED


# --- Certificates -------------------------------------------------------------------------------
def test_certificate_revoke_and_reinstate(client, admin_user, course):
    certificate = CertificateFactory(course=course)
    client.force_login(admin_user)
    action(client, Certificate, "revoke", [certificate])
    certificate.refresh_from_db()
    assert certificate.revoked and certificate.revoked_at is not None
    action(client, Certificate, "reinstate", [certificate])
    certificate.refresh_from_db()
    assert not certificate.revoked


def test_certificate_page_links_to_the_public_page(client, admin_user, course):
    certificate = CertificateFactory(course=course)
    client.force_login(admin_user)
    page = client.get(url(Certificate, "change", certificate.pk)).content.decode()
    assert f'href="/certificates/{certificate.code}/"' in page
    form = client.get(url(Certificate, "change", certificate.pk)).context["adminform"].form
    assert "code" not in form.fields  # read-only


def test_certificate_reissue_from_its_page(client, admin_user, course, django_capture_on_commit_callbacks):
    certificate = CertificateFactory(course=course)
    old_code = certificate.code
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(Certificate, "change", certificate.pk),
            {"CHANGE_FORM-action": "reissue", "_selected_action": [certificate.pk]},
        )
    new = Certificate.objects.get(learner=certificate.learner, course=course)
    assert new.code != old_code
    assert not Certificate.objects.filter(code=old_code).exists()
    assert response.status_code == 302 and response["Location"] == url(Certificate, "change", new.pk)
    email = OutboundEmail.objects.get(key=f"certificate:{new.code}")
    assert email.status == OutboundEmail.Status.SENT
    assert [m.to for m in mail.outbox] == [[certificate.learner.email]]


def test_certificate_resend_action(client, admin_user, course, django_capture_on_commit_callbacks):
    certificate = CertificateFactory(course=course)
    revoked = CertificateFactory(course=course, revoked=True)
    certificate_email_queue(certificate=certificate)
    email = OutboundEmail.objects.get(key=f"certificate:{certificate.code}")
    OutboundEmail.objects.filter(pk=email.pk).update(status=OutboundEmail.Status.FAILED, last_error="SMTP down")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = action(client, Certificate, "resend_email", [certificate, revoked])
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.PENDING and email.last_error == ""
    assert len(callbacks) == 1  # the send task, enqueued on commit
    assert not OutboundEmail.objects.filter(key=f"certificate:{revoked.code}").exists()
    assert any("revoked" in m for m in messages_of(response))
    for callback in callbacks:
        callback()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1


# --- Email log ---------------------------------------------------------------------------------------
def test_email_log_is_read_only(client, admin_user, learner):
    email = OutboundEmail.objects.create(key="welcome:1", kind="welcome", user=learner, recipient=learner.email)
    client.force_login(admin_user)
    assert client.get(url(OutboundEmail, "add")).status_code == 403
    form = client.get(url(OutboundEmail, "change", email.pk)).context["adminform"].form
    assert not form.fields
    response = client.post(url(OutboundEmail, "delete", email.pk), {"post": "yes"})
    assert response.status_code == 403
    assert [e.pk for e in changelist_rows(client, OutboundEmail)] == [email.pk]


def test_email_resend_action(client, admin_user, course, learner, django_capture_on_commit_callbacks):
    enrollment = EnrollmentFactory(course=course, learner=learner)
    email = OutboundEmail.objects.create(
        key=f"welcome:{enrollment.pk}",
        kind="welcome",
        user=learner,
        recipient=learner.email,
        context={"enrollment_id": enrollment.pk, "course_id": course.pk},
        status=OutboundEmail.Status.SENT,
        attempts=1,
    )
    client.force_login(admin_user)
    response = client.get(url(OutboundEmail, "changelist"), {"status__exact": "sent", "q": learner.email})
    assert list(response.context["cl"].queryset) == [email]
    with django_capture_on_commit_callbacks(execute=True):
        response = action(client, OutboundEmail, "resend", [email])
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 2
    assert [m.to for m in mail.outbox] == [[learner.email]]


# --- Quizzes: choice validation ------------------------------------------------------------------
def question_post(question: Question, *, kind: str, correct: list[bool]) -> dict:
    choices = list(question.choices.order_by("position"))
    data = {
        "quiz": question.quiz_id,
        "position": question.position,
        "kind": kind,
        "points": question.points,
        "accepted": "[]",
        "text": question.text,
        **management("choices", len(choices), len(choices)),
    }
    for i, choice in enumerate(choices):
        data |= {
            f"choices-{i}-id": choice.pk,
            f"choices-{i}-question": question.pk,
            f"choices-{i}-text": choice.text,
            f"choices-{i}-position": choice.position,
            f"choices-{i}-role": choice.role,
            f"choices-{i}-explanation": "",
        }
        if correct[i]:
            data[f"choices-{i}-is_correct"] = "on"
    return data


def test_single_choice_question_needs_exactly_one_correct_choice(client, admin_user, course):
    question = Question.objects.filter(quiz__course=course, kind=Question.Kind.SINGLE).first()
    client.force_login(admin_user)
    response = client.post(
        url(Question, "change", question.pk), question_post(question, kind="single", correct=[True, True, False])
    )
    assert response.status_code == 200
    assert "exactly one correct choice" in response.content.decode()
    assert question.choices.filter(is_correct=True).count() == 1

    response = client.post(
        url(Question, "change", question.pk), question_post(question, kind="single", correct=[False, True, False])
    )
    assert response.status_code == 302
    assert list(question.choices.filter(is_correct=True).values_list("position", flat=True)) == [2]


def test_multiple_choice_question_needs_a_correct_choice(client, admin_user, course):
    question = Question.objects.filter(quiz__course=course, kind=Question.Kind.MULTIPLE).first()
    client.force_login(admin_user)
    response = client.post(
        url(Question, "change", question.pk), question_post(question, kind="multiple", correct=[False, False, False])
    )
    assert response.status_code == 200
    assert "at least one correct choice" in response.content.decode()
    # Switching to multiple choice with two right answers is fine.
    single = Question.objects.filter(quiz__course=course, kind=Question.Kind.SINGLE).first()
    response = client.post(
        url(Question, "change", single.pk), question_post(single, kind="multiple", correct=[True, True, False])
    )
    assert response.status_code == 302
    assert Choice.objects.filter(question=single, is_correct=True).count() == 2


def test_quiz_page_links_to_question_pages(client, admin_user, course):
    quiz = Quiz.objects.filter(course=course).first()
    client.force_login(admin_user)
    page = client.get(url(Quiz, "change", quiz.pk)).content.decode()
    for question in quiz.questions.all():
        assert url(Question, "change", question.pk) in page
