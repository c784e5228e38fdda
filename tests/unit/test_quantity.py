"""Quantities read and written back the way the API server does."""
import pytest

from kubenet.api.quantity import QUANTITY_REGEX_TEXT, Quantity, QuantityError, canonicalize


@pytest.mark.parametrize("text,stored", [
    ("0.5", "500m"), ("1000m", "1"), ("1.5Gi", "1536Mi"), ("2000", "2k"), ("1500", "1500"),
    ("1024Ki", "1Mi"), ("100Mi", "100Mi"), ("1e3", "1e3"), ("129M", "129M"), ("0.1", "100m"),
    ("1.0001n", "2n"), ("0", "0"), ("-1", "-1"), ("500", "500"),
])
def test_user_quantity_is_stored_in_canonical_form(text, stored):
    assert canonicalize(text) == stored


def test_quantities_compare_by_value_across_suffixes():
    assert Quantity.parse("1Gi") > Quantity.parse("1G")
    assert Quantity.parse("1000m") == Quantity.parse("1")
    assert Quantity.parse("250m").milli_value() == 250
    assert Quantity.parse("1Ki").value_int() == 1024


def test_a_bad_quantity_gets_the_decoder_message():
    with pytest.raises(QuantityError) as e:
        Quantity.parse("1 cpu")
    assert str(e.value) == f"quantities must match the regular expression '{QUANTITY_REGEX_TEXT}'"
    assert QUANTITY_REGEX_TEXT == "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
