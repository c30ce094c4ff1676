"""Pages and files: /media/ (upload and one's images), /media/i/<id>/<w>x<h>.webp (a size on
demand, M4) and /media-files/<path> (stored files, when no CDN serves them, M5)."""

from __future__ import annotations

import mimetypes
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.http import NotFoundWithReason
from core.throttling import rate_limit_hit
from media import processing, selectors, services
from media.forms import UploadForm
from media.models import Image

# Variant files are named by their content's hash and never change: cache them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


@login_required
@require_http_methods(["GET", "POST"])
def media_page(request: HttpRequest) -> HttpResponse:
    form = UploadForm()
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            decision = rate_limit_hit(
                scope="media-upload", identity=str(request.user.pk),
                limit_per_minute=settings.MEDIA_UPLOADS_PER_MINUTE,
            )  # fmt: skip
            file = form.cleaned_data["file"]
            try:
                if not decision.is_allowed:
                    wait = _("Too many uploads: wait %(seconds)d s.")
                    raise ValidationError(
                        {"file": wait % {"seconds": decision.retry_after_seconds}}
                    )
                _image, created = services.image_upload(
                    owner=request.user, source=file, size_bytes=file.size, name=file.name or ""
                )
            except ValidationError as exc:
                for error in exc.message_dict.get("file", []):
                    form.add_error("file", error)
            else:
                messages.success(request, _("Uploaded: it is being processed.") if created
                                 else _("You had uploaded this image already."))  # fmt: skip
                return redirect("media:page")
        status = 400
    page = Paginator(selectors.images_of(request.user.pk), 24).get_page(request.GET.get("page"))
    return render(request, "media/media.html", {
        "form": form,
        "page": page,
        "images": [selectors.image_payload(image) for image in page],
        "avatar_id": selectors.avatar_image_id(request.user.pk),
        "max_mb": settings.MEDIA_MAX_UPLOAD_BYTES // (1024 * 1024),
        "unused_days": settings.MEDIA_UNUSED_DAYS,
    }, status=status)  # fmt: skip


@login_required
@require_http_methods(["POST"])
def avatar_choose(request: HttpRequest) -> HttpResponse:
    image_id = request.POST.get("image") or ""
    image = None
    if image_id:
        try:
            image = selectors.image_of(user_id=request.user.pk, image_id=UUID(image_id))
        except ValueError:
            image = None
        if image is None:
            raise NotFoundWithReason(_("You have no image with this id."))
    try:
        services.avatar_set(user=request.user, image=image)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Avatar updated.") if image else _("Avatar removed."))
    return redirect("media:page")


@require_safe
def resized(request: HttpRequest, image_id: UUID, size: str) -> HttpResponse:
    """An allowed size of an image, rendered once, then redirected to where it is stored (its
    location cached 7 days). A size not in MEDIA_ON_DEMAND_SIZES is a 404: no resize bombs."""
    try:
        processing.variant_spec_on_demand(size)
    except ValueError as exc:
        raise NotFoundWithReason(_("This size is not offered.")) from exc
    path = selectors.resized_location(str(image_id), size)
    if path is None:
        image = Image.objects.select_related("blob").filter(pk=image_id).first()
        if image is None:
            raise NotFoundWithReason(_("There is no such image."))
        try:
            variant = services.variant_on_demand(image=image, size=size)
        except LookupError as exc:
            raise NotFoundWithReason(_("This image is not ready yet.")) from exc
        path = variant.path
        selectors.resized_location.prime(str(image_id), size, value=path)
    response = HttpResponseRedirect(selectors.variant_url(path))
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def stored_file(request: HttpRequest, path: str) -> HttpResponse:
    """A stored variant, when the site serves its own media (no CDN_BASE_URL)."""
    # isprintable: a NUL (or other control character) made the storage's open() raise ValueError.
    if (
        not path.startswith("images/") or ".." in path.split("/") or not path.endswith(".webp")
        or not path.isprintable()
    ):  # fmt: skip
        raise NotFoundWithReason(_("There is no such file."))
    try:
        stored = default_storage.open(path, "rb")
    except (OSError, ValueError, SuspiciousFileOperation) as exc:
        raise NotFoundWithReason(_("There is no such file.")) from exc
    response = FileResponse(stored, content_type=mimetypes.types_map.get(".webp", "image/webp"))
    response["Cache-Control"] = IMMUTABLE
    return response
