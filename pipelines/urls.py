from django.urls import path

from pipelines import views

app_name = "pipelines"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("jobs/<str:name>/run/", views.run_job, name="run-job"),
    path("branches/<str:branch>/run/", views.run_branch, name="run-branch"),
]
