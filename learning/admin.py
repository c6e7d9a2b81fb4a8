"""The admin of ``learning``: certificates (``learning.certificates.admin``)."""

from learning.certificates import admin as certificates  # noqa: F401  (its import registers the model admin)
