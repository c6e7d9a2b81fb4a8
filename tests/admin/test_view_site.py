import pytest

from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def test_view_site_points_at_the_api_docs(client):
    client.force_login(AdminFactory(is_staff=True, is_superuser=True))
    html = client.get("/admin/").content.decode()
    assert 'href="/api/docs/"' in html
    assert client.get("/api/docs/").status_code == 200
