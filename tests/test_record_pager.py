"""The record grids count their rows only up to a limit, and say so past it."""

from __future__ import annotations

import re

import pytest

from flask_dotdigital.admin.records import ReadOnlyView

from .test_record_views import CONTACTS, cells, contact, counting_queries, integration, saved

__all__ = ["integration"]  # the fixture, imported for the tests below


def list_tab(html: str) -> str:
    found = re.search(r'class="nav-link active">\s*(List[^<]*?)\s*</a>', html)
    assert found, "no List tab"
    return found.group(1)


def page_links(html: str) -> list[str]:
    return re.findall(r'class="page-link" href="[^"]*">\s*([^<\s]+)\s*</a>', html)


@pytest.fixture
def eighty_contacts(integration):
    for n in range(80):
        contact(integration, f"c{n:02}@example.com", status="Subscribed" if n < 10 else "Unsubscribed")
    saved()
    return integration


def test_a_grid_under_the_limit_shows_its_count_and_numbered_pages(admin_client, eighty_contacts):
    page = admin_client.get(CONTACTS).text
    assert list_tab(page) == "List (80)"
    assert "2" in page_links(page)


def test_a_grid_over_the_limit_says_more_than_and_pages_with_previous_and_next(
        admin_client, eighty_contacts, monkeypatch):
    monkeypatch.setattr(ReadOnlyView, "count_limit", 60)
    with counting_queries() as statements:
        first = admin_client.get(CONTACTS).text
    assert list_tab(first) == "List (more than 60)"
    assert "2" not in page_links(first) and "&gt;" in page_links(first)
    assert len(cells(first, "email")) == 50
    counts = [s for s in statements if "count(" in s.lower()]
    assert counts and all("LIMIT" in s for s in counts), "the count stops at the limit"
    second = admin_client.get(CONTACTS + "?page=1").text
    assert len(cells(second, "email")) == 30
    assert set(cells(first, "email")).isdisjoint(cells(second, "email"))
    # A filter narrows the rows below the limit: the count is exact again.
    assert list_tab(admin_client.get(CONTACTS + "?flt0_status_equals=Subscribed").text) == "List (10)"


def test_a_search_is_counted_like_the_page_it_shows(admin_client, eighty_contacts, monkeypatch):
    monkeypatch.setattr(ReadOnlyView, "count_limit", 60)
    page = admin_client.get(CONTACTS + "?search=c1").text
    assert list_tab(page) == "List (10)"
    assert len(cells(page, "email")) == 10
