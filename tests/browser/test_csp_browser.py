"""The Content-Security-Policy holds on every HTML page without breaking it: the admin (login, index,
a change form), the API docs (Swagger UI, Redoc) and the certificate page render in Chromium with
no CSP violation in the console."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_admin_browser import log_in
from tests.factories import AdminFactory, CertificateFactory

pytestmark = pytest.mark.browser


def watch_console(page: Page) -> list[str]:
    """Console errors and CSP violations the page reports while the test drives it."""
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: seen.append(str(exc)))
    return seen


def csp_errors(seen: list[str]) -> list[str]:
    return [text for text in seen if re.search(r"Content Security Policy|Content-Security-Policy", text, re.I)]


def test_admin_pages_work_under_the_csp(page: Page, screenshot):
    seen = watch_console(page)
    response = page.goto("/admin/login/")
    assert "script-src" in response.headers["content-security-policy"]
    log_in(page, AdminFactory())
    page.goto("/admin/accounts/user/add/")
    expect(page.locator("input[name=username]")).to_be_visible()
    page.goto("/admin/courseware/course/add/")
    expect(page.locator("input[name=title]")).to_be_visible()
    screenshot("course-add")
    assert csp_errors(seen) == []


def test_swagger_ui_renders_the_api_under_the_csp(page: Page, screenshot):
    seen = watch_console(page)
    response = page.goto("/api/docs/")
    assert "content-security-policy" in response.headers
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Courses API")
    expect(page.locator(".opblock").first).to_be_visible()
    screenshot("swagger")
    assert csp_errors(seen) == []


def test_redoc_renders_the_api_under_the_csp(page: Page, screenshot):
    seen = watch_console(page)
    page.goto("/api/redoc/")
    expect(page.get_by_text("Courses API").first).to_be_visible()
    expect(page.locator("[data-section-id]").first).to_be_attached()
    screenshot("redoc", full_page=False)  # the whole reference is a very tall page: its top is enough
    # Redoc's sidebar badge points at Redocly's CDN: the policy blocks that one off-site image (the
    # page needs nothing from elsewhere); anything else blocked would be a page the policy breaks.
    assert [text for text in csp_errors(seen) if "https://cdn.redoc.ly/" not in text] == []


def test_certificate_page_renders_under_the_csp(page: Page, screenshot):
    certificate = CertificateFactory()
    seen = watch_console(page)
    response = page.goto(f"/certificates/{certificate.code}/")
    assert response.status == 200 and "content-security-policy" in response.headers
    expect(page.get_by_text(certificate.course_title).first).to_be_visible()
    screenshot("certificate")
    assert csp_errors(seen) == []
