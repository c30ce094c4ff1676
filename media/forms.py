from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

ACCEPT = "image/jpeg,image/png,image/gif,image/webp"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Image"), allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )  # fmt: skip
