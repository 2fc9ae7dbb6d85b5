"""Whatever Dotdigital sends back, the parsers answer with a clear error or a clean value, never a crash
(hypothesis generates the odd inputs: wrong types, unknown enums, truncated JSON, odd CSV quoting)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flask_dotdigital.api.base import _parse_success, account_property, error_from_response
from flask_dotdigital.api.dates import parse_date
from flask_dotdigital.api.imports import import_faults
from flask_dotdigital.errors import ApiError
from flask_dotdigital.models.enums import ContactStatus, coerce
from flask_dotdigital.sync.connectors.data_fields import default_value
from flask_dotdigital.sync.contacts_store import convert_contact
from flask_dotdigital.sync.rows import as_bool, as_int, as_text, lower_email

from .conftest import add_stat

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                  max_size=4),
                    max_leaves=12)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXAMPLES = 150


@pytest.fixture(autouse=True)
def _count_inputs(request):
    yield
    if hasattr(request.node.function, "hypothesis"):
        add_stat("inputs tried", EXAMPLES)


def response(status: int, body: bytes, content_type: str = "application/json") -> requests.Response:
    r = requests.Response()
    r.status_code, r._content = status, body
    r.headers["Content-Type"] = content_type
    return r


@FAST
@given(st.integers(400, 599), st.binary(max_size=200))
def test_any_error_body_becomes_an_api_error_with_the_status(status, body):
    error = error_from_response(response(status, body))
    assert isinstance(error, ApiError) and error.status == status and error.message


@FAST
@given(st.binary(max_size=200))
def test_a_2xx_that_is_not_json_is_refused_or_passed_as_text(body):
    try:
        parsed = _parse_success(response(200, body))
    except ApiError as err:
        assert "malformed JSON" in err.message or err.status == 200
    else:
        assert parsed is None or isinstance(parsed, (dict, list, str, int, float, bool))


def test_html_instead_of_json_and_truncated_json():
    assert isinstance(_parse_success(response(200, b"<html>Gateway</html>", "text/html")), str)
    try:
        _parse_success(response(200, b'{"id": 1, "name": "Trunc'))
    except ApiError as err:
        assert "malformed JSON" in err.message
    else:
        raise AssertionError("truncated JSON was accepted")


@FAST
@given(JSON)
def test_account_properties_of_any_shape(body):
    value = account_property(body, "ApiEndpoint")
    assert value is None or isinstance(value, str)


@FAST
@given(st.text(max_size=40) | st.none() | st.integers())
def test_dates_parse_or_give_none(value):
    parsed = parse_date(value)
    assert parsed is None or (isinstance(parsed, datetime) and parsed.tzinfo is not None)


@FAST
@given(JSON)
def test_contacts_of_any_shape_convert_or_are_skipped(item):
    ctx = SimpleNamespace(integration_id=1)
    row = convert_contact(ctx, item if isinstance(item, dict) else {"email": item})
    assert row is None or (row["email"] == row["email"].lower() and "@" in row["email"])


@FAST
@given(st.text(max_size=30) | st.none() | st.integers())
def test_unknown_enum_values_fall_back(value):
    status = coerce(ContactStatus, value)
    assert status is None or isinstance(status, ContactStatus)


@FAST
@given(JSON)
@example(float("inf"))  # found by this test in CI: as_int raised OverflowError
@example(float("-inf"))
@example(float("nan"))
@example(10 ** 400)
def test_scalar_converters_never_raise(value):
    as_int(value), as_bool(value), as_text(value), lower_email(value), default_value(None, value)


@FAST
@given(st.lists(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
                         min_size=2, max_size=4), min_size=1, max_size=6))
def test_fault_reports_with_odd_quoting_round_trip(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["Reason", "Email", "FIRSTNAME", "LASTNAME"][: len(rows[0])]
    writer.writerow(header)
    for row in rows:
        writer.writerow((row + [""] * len(header))[: len(header)])
    text = buffer.getvalue()
    client = SimpleNamespace(request=lambda method, path, **kw: text)
    faults = import_faults(client, "id")
    assert len(faults) == len(rows)
    assert all(set(f) == {h.lower() for h in header} for f in faults)


def test_a_gigantic_page_is_parsed_without_trouble():
    page = json.dumps([{"id": i, "email": f"c{i}@x.org"} for i in range(50_000)]).encode()
    assert len(_parse_success(response(200, page))) == 50_000


@pytest.mark.parametrize("value", [Decimal("Infinity"), Decimal("-Infinity"), Decimal("NaN"), "1e999"])
def test_a_non_finite_numeric_default_is_never_a_crash(value):
    from flask_dotdigital.api.data_fields import _number

    assert isinstance(_number(value), str)
