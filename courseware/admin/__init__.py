"""The admin site as the instructors' and admins' desk: courses, modules, enrollments, certificates.

The admin is an interface: writes go through the services of the app that owns the model. Admins
(superusers) see everything; every other staff member sees only the courses they teach, and the
modules, lessons, quizzes, questions and enrollments of those courses (``scoping.InstructorScopedAdmin``).
Each app registers its own models' admins; the module admin, which edits a module's lessons and
quizzes together, is ``studio``'s, and the certificate admin ``learning``'s.
"""

from django.contrib import admin

from courseware.admin import courses, enrollments  # noqa: F401  (their imports register the model admins)

admin.site.site_header = "Courses admin"
admin.site.site_title = "Courses admin"
admin.site.index_title = "Courses, learners and certificates"
admin.site.site_url = "/api/docs/"  # "View site": the API's documentation (the project serves no pages at /)
