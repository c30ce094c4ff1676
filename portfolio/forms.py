from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.models import QUANTITY, TransactionKind
from portfolio.services import TransactionInput
from stocks.models import Stock
from stocks.symbols import is_valid_code


class PortfolioForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)


class TransactionForm(forms.Form):
    """A transaction as the portfolio page asks for it; the service checks the rest."""

    kind = forms.ChoiceField(label=_("Type"), choices=TransactionKind.choices)
    stock = forms.CharField(label=_("Stock code"), max_length=6, required=False,
                            widget=forms.TextInput(attrs={"placeholder": "005930",
                                                          "inputmode": "numeric"}))  # fmt: skip
    quantity = forms.DecimalField(label=_("Quantity"), required=False, min_value=0, **QUANTITY)
    price = forms.DecimalField(label=_("Price (KRW)"), required=False, min_value=0,
                               max_digits=20, decimal_places=2)  # fmt: skip
    fee = forms.DecimalField(label=_("Fee (KRW)"), required=False, min_value=0, max_digits=20,
                             decimal_places=2)  # fmt: skip
    traded_on = forms.DateField(label=_("Date"), initial=timezone.localdate,
                                widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_stock(self) -> Stock | None:
        code = self.cleaned_data["stock"].strip()
        if not code:
            return None
        if not is_valid_code(code):
            raise forms.ValidationError(_("A stock code is six digits, such as 005930."))
        stock = Stock.objects.filter(code=code).first()
        if stock is None:
            raise forms.ValidationError(
                _("No listed stock has the code %(code)s.") % {"code": code}
            )
        return stock

    def to_input(self) -> TransactionInput:
        data = self.cleaned_data
        return TransactionInput(
            kind=data["kind"], stock=data["stock"], quantity=data["quantity"], price=data["price"],
            fee=data["fee"] or 0, traded_on=data["traded_on"], note=data["note"],
        )  # fmt: skip


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
