from django.urls import include, path

from accounts import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="register"),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("auth/session/", include("rest_framework.urls")),
    path("me/", views.MeView.as_view(), name="me"),
]
urlpatterns += [
    path("instructors/", views.InstructorGrantView.as_view(), name="instructor-grant"),
]
