"""The staff dashboard `/ops/pipelines/` (L7): every job by branch, recent runs, live progress."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pipelines import selectors, services
from pipelines.registry import BRANCHES, JOBS


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors are sent to sign in; signed-in non-staff get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@staff_only
def dashboard(request: HttpRequest) -> HttpResponse:
    overviews = sorted(
        selectors.job_overviews(),
        key=lambda o: (
            BRANCHES.index(o.branch) if o.branch in BRANCHES else 99,
            9 if o.priority is None else o.priority,
            o.name,
        ),
    )
    branches = [(branch, list(jobs)) for branch, jobs in groupby(overviews, key=lambda o: o.branch)]
    return render(
        request,
        "pipelines/dashboard.html",
        {"branches": branches, "runs": selectors.recent_runs()[:30]},
    )


@staff_only
@require_POST
def run_job(request: HttpRequest, name: str) -> HttpResponse:
    if name not in JOBS:
        raise Http404
    run = services.job_run_now(name=name)
    messages.success(request, _("Queued %(job)s (run #%(run)s).") % {"job": name, "run": run.pk})
    return redirect("pipelines:dashboard")


@staff_only
@require_POST
def run_branch(request: HttpRequest, branch: str) -> HttpResponse:
    if branch not in BRANCHES:
        raise Http404
    runs = services.branch_run_now(branch=branch)
    messages.success(
        request,
        _("Queued %(count)d job(s) of the %(branch)s branch.")
        % {"count": len(runs), "branch": branch},
    )
    return redirect("pipelines:dashboard")
