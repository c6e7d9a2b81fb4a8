import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Admin pages link static files; the manifest storage of the settings needs ``collectstatic``
    first, which a test run does not do."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
