"""Money in whole cents (int), parsed from and shown in German notation (1.234,50 €)."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_AMOUNT = re.compile(r"^\d{1,3}(\.\d{3})*(,\d{1,2})?$|^\d+(,\d{1,2})?$")


def parse_euro(text: str | None) -> int | None:
    """'1.234,5' / '250' / '238,40 €' -> cents; None when it is no amount."""
    if text is None:
        return None
    cleaned = text.strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    if not cleaned or not _AMOUNT.match(cleaned):
        return None
    try:
        value = Decimal(cleaned.replace(".", "").replace(",", "."))
    except InvalidOperation:
        return None
    cents = int((value * 100).to_integral_value())
    return cents if cents < 10**11 else None


def euro(cents: int | None, symbol: bool = True) -> str:
    """12345 -> '123,45 €'; 84000 -> '840,00 €'."""
    cents = cents or 0
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    text = f"{sign}{whole:,}".replace(",", ".") + f",{rest:02d}"
    return f"{text} €" if symbol else text


def euro_short(cents: int | None) -> str:
    """Whole euros when there are no cents: 84000 -> '840 €'."""
    cents = cents or 0
    if cents % 100 == 0:
        sign = "-" if cents < 0 else ""
        return f"{sign}{abs(cents) // 100:,}".replace(",", ".") + " €"
    return euro(cents)
