from django.urls import path

from pipelines.api import views

urlpatterns = [
    path("jobs/", views.JobListView.as_view(), name="pipelines-jobs"),
    path("jobs/<str:name>/run/", views.JobRunNowView.as_view(), name="pipelines-job-run"),
    path("runs/", views.RunListView.as_view(), name="pipelines-runs"),
]
