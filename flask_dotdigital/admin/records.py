"""Marketing → dotdigital: read-only grids of what the sync imported.

Address Books, Contacts, Campaigns (with Oro's campaign statistics widget, §3.6) and contact
Activities. Nothing here writes: Dotdigital is the source of these rows and the next sync would
overwrite a local edit. Each grid loads only what its columns show (no relationship per row), and
sorts only on indexed columns, because contacts and activities run to millions of rows. For the
same reason a grid counts its rows only up to ``count_limit``: past that it says "more than N" and
pages with previous/next only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, BooleanEqualFilter, IntEqualFilter
from flask_admin.form import SecureForm
from flask_admin.model.typefmt import BASE_FORMATTERS, DETAIL_FORMATTERS
from markupsafe import Markup, escape
from sqlalchemy import func, not_, or_
from sqlalchemy.orm import joinedload, lazyload, load_only, selectinload

from ..labels import ADDRESS_BOOK_SYNC_BADGES, address_book_sync_status
from .access import AccessMixin
from .marketing import DotdigitalGroupMixin

#: Shown where a value does not exist yet (Oro's grids print an em dash too).
NONE = "—"
YES_NO = (("1", "Yes"), ("0", "No"))


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else NONE


def _when_formatter(view: Any, value: datetime, name: str) -> str:
    return when(value)


class LazyOptions:
    """Filter choices read from the database on each page, not once at start-up.

    Flask-Admin evaluates ``options`` when the view is built (before any table exists) but iterates
    them again for every page it renders, so an iterable that queries on iteration stays current.
    """

    def __init__(self, load: Callable[[], list[tuple[Any, str]]]) -> None:
        self.load = load

    def __bool__(self) -> bool:
        return True  # never query at start-up; Flask-Admin only asks whether there are options

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter([(str(key), label) for key, label in self.load()])


def integration_filter(db: Any, model: Any, integration_model: Any) -> IntEqualFilter:
    """Filter rows by the Dotdigital integration they were imported through."""
    def load() -> list[tuple[Any, str]]:
        query = (db.select(integration_model.id, integration_model.name)
                 .where(integration_model.type == "dotdigital").order_by(integration_model.name))
        return [tuple(row) for row in db.session.execute(query)]

    return IntEqualFilter(model.integration_id, "Integration", options=LazyOptions(load))


def integration_name(view: Any, context: Any, model: Any, name: str) -> str:
    return model.integration.name if model.integration is not None else NONE


def only_integration_name(relationship: Any, integration_model: Any) -> Any:
    """Join the integration for its name only: no secrets to decrypt, no default owner to join."""
    return joinedload(relationship).options(load_only(integration_model.name),
                                            lazyload(integration_model.default_owner))


class ReadOnlyView(AccessMixin, ModelView):
    """A grid of synced rows: no create, edit or delete; 50 rows a page; readable dates."""

    resource = "dotdigital"
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = False
    column_display_pk = False
    page_size = 50
    named_filter_urls = True  # ?flt0_status_equals=Subscribed rather than ?flt0_3=...
    # Each view says what its query loads; Flask-Admin's auto-join would load whole related rows.
    column_auto_select_related = False
    form_base_class = SecureForm
    column_type_formatters = {**BASE_FORMATTERS, datetime: _when_formatter}
    column_type_formatters_detail = {**DETAIL_FORMATTERS, datetime: _when_formatter,
                                     bool: lambda view, value, name: "Yes" if value else "No"}

    #: Rows counted at most for the pager. Flask-Admin's ``SELECT count(*)`` reads the whole table,
    #: which on a million rows costs more than the page itself; a count stopped after this many rows
    #: costs the same for any table size.
    count_limit = 10_000
    # Flask-Admin's own count is never taken; get_list takes the capped one instead.
    simple_list_pager = True

    def __init__(self, model: Any, db: Any, *, integration_model: Any, **kwargs: Any) -> None:
        self.db = db
        self.integration_model = integration_model
        super().__init__(model, db, **kwargs)

    def get_list(self, page: Any, sort_column: Any, sort_desc: Any, search: Any, filters: Any,
                 execute: bool = True, page_size: Any = None) -> Any:
        """The page's rows, and the row count when it is at most ``count_limit`` (else None).

        With None, Flask-Admin shows its previous/next pager; ``render`` then says "more than N".
        """
        _, query = super().get_list(page, sort_column, sort_desc, search, filters, execute=False,
                                    page_size=page_size)
        count = self.capped_count(query)
        return (count if count <= self.count_limit else None), (query.all() if execute else query)

    def capped_count(self, query: Any) -> int:
        """Rows matching the page's search and filters, counting no further than ``count_limit + 1``."""
        # Unsorted and unpaged, so the database stops after count_limit + 1 rows in any order.
        matching = (query.limit(None).offset(None).order_by(None).limit(self.count_limit + 1)
                    .enable_eagerloads(False).with_entities(self.model.id).subquery())
        return int(query.session.query(func.count()).select_from(matching).scalar() or 0)

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.list_template and kwargs.get("num_pages", 0) is None:
            # The List tab prints the count: say what is known rather than a wrong number.
            kwargs["count"] = f"more than {self.count_limit:,}"
        return super().render(template, **kwargs)


class RecordView(DotdigitalGroupMixin, ReadOnlyView):
    """Marketing → dotdigital entries, shown once a Dotdigital integration exists."""


# -- Address Books ----------------------------------------------------------------------------------


def sync_status_badge(view: Any, context: Any, model: Any, name: str) -> Markup:
    badge = ADDRESS_BOOK_SYNC_BADGES.get(model.sync_status, "secondary")
    return Markup('<span class="badge badge-{}">{}</span>').format(
        badge, address_book_sync_status(model.sync_status))


class AddressBookView(RecordView):
    column_list = ["integration", "name", "visibility", "contact_count", "last_imported_at",
                   "last_exported_at", "sync_status", "marketing_list"]
    column_labels = {"integration": "Integration", "contact_count": "Contacts",
                     "last_imported_at": "Last imported at", "last_exported_at": "Last exported at",
                     "sync_status": "Sync status", "marketing_list": "Marketing list"}
    column_sortable_list = ["last_imported_at"]
    column_default_sort = [("id", False)]
    column_searchable_list = ["name"]
    column_formatters = {
        "integration": integration_name,
        "sync_status": sync_status_badge,
        # Marketing lists are linked to books in a later release (§2.5).
        "marketing_list": lambda v, c, m, p: NONE,
    }

    def __init__(self, model: Any, db: Any, *, integration_model: Any, **kwargs: Any) -> None:
        self.column_filters = [integration_filter(db, model, integration_model)]
        super().__init__(model, db, integration_model=integration_model, **kwargs)

    def get_query(self) -> Any:
        return super().get_query().options(
            only_integration_name(self.model.integration, self.integration_model))


# -- Contacts -------------------------------------------------------------------------------------


def data_fields_text(view: Any, context: Any, model: Any, name: str) -> Markup:
    """``KEY: value`` pairs on one line; values come from Dotdigital, so every part is escaped."""
    pairs = [(key, value) for key, value in sorted((model.data_fields or {}).items())
             if value not in (None, "")]
    if not pairs:
        return escape(NONE)
    return Markup("<small>{}</small>").format(Markup("; ").join(
        Markup("<b>{}</b>: {}").format(key, value) for key, value in pairs))


def book_names(view: Any, context: Any, model: Any, name: str) -> str:
    names = sorted(m.address_book.name for m in model.memberships if m.address_book is not None)
    return ", ".join(names) or NONE


def book_names_with_status(view: Any, context: Any, model: Any, name: str) -> str:
    books = sorted((m.address_book.name, m.status) for m in model.memberships
                   if m.address_book is not None)
    return ", ".join(f"{book} ({status or 'status unknown'})" for book, status in books) or NONE


class ContactView(RecordView):
    can_view_details = True
    column_list = ["email", "status", "opt_in_type", "email_type", "data_fields", "address_books",
                   "updated_at"]
    column_details_list = ["email", "status", "opt_in_type", "email_type", "unsubscribed_date",
                           "last_subscribed_date", "data_fields", "address_books", "created_at",
                           "updated_at"]
    column_labels = {"opt_in_type": "Opt-in type", "email_type": "Email type", "data_fields": "Data fields",
                     "address_books": "Address books", "updated_at": "Updated at",
                     "unsubscribed_date": "Unsubscribed", "last_subscribed_date": "Last subscribed",
                     "created_at": "Created at"}
    # email is unique per integration only, so (integration_id, email) cannot order a whole grid.
    column_sortable_list = ["status"]
    column_default_sort = [("id", True)]
    column_searchable_list = ["email"]
    column_formatters = {"data_fields": data_fields_text, "address_books": book_names}
    column_formatters_detail = {"data_fields": data_fields_text, "address_books": book_names_with_status}

    def __init__(self, model: Any, db: Any, *, integration_model: Any, membership_model: Any,
                 address_book_model: Any, **kwargs: Any) -> None:
        self.membership_model = membership_model
        self.address_book_model = address_book_model
        self.column_filters = ["status", "opt_in_type", "email_type",
                               integration_filter(db, model, integration_model)]
        super().__init__(model, db, integration_model=integration_model, **kwargs)

    def get_query(self) -> Any:
        # One extra query for the whole page: the page's memberships with their books' names.
        membership, book = self.membership_model, self.address_book_model
        return super().get_query().options(
            selectinload(self.model.memberships).options(
                load_only(membership.status),
                joinedload(membership.address_book).options(load_only(book.name))))


# -- Campaigns ------------------------------------------------------------------------------------


def date_sent(view: Any, context: Any, model: Any, name: str) -> datetime | None:
    return model.summary.date_sent if model.summary is not None else None


def _count(value: int | None) -> str:
    return NONE if value is None else f"{value:,}"


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{round(value, 2):g}%"


def _sum(*values: int | None) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def statistics(summary: Any) -> list[tuple[str, list[tuple[str, str, str | None]]]]:
    """Oro's campaign statistics widget (§3.6): sections of (label, count, percentage)."""
    s = summary
    # The API has no numTotalForwards: HTML and plain-text forwards are added up here.
    forwards = _sum(s.num_forwards, s.num_text_forwards)
    non_openers = None
    if s.num_total_delivered is not None and s.num_total_unique_opens is not None:
        non_openers = max(s.num_total_delivered - s.num_total_unique_opens, 0)
    return [
        ("Engagement/Interaction", [
            ("Emails Sent", _count(s.num_total_sent), None),
            ("Delivered", _count(s.num_total_delivered), _percent(s.percentage_delivered)),
            ("Opens", _count(s.num_total_opens), None),
            ("Unique Opens", _count(s.num_total_unique_opens), _percent(s.percentage_unique_opens)),
            ("Clicks", _count(s.num_total_clicks), None),
            ("Recipient clicks", _count(s.num_recipients_clicked), _percent(s.percentage_users_clicked)),
            ("Click-to-open rate", _percent(s.percentage_clicks_to_opens) or NONE, None),
            ("Page views", _count(s.num_total_page_views), None),
            ("Forwards", _count(forwards), None),
            ("Estimated forwards", _count(s.num_total_estimated_forwards), None),
        ]),
        ("Positive/Negative", [
            ("Non openers", _count(non_openers), None),
            ("Total replies", _count(s.num_total_replies), _percent(s.percentage_replies)),
            ("Hard bounces", _count(s.num_total_hard_bounces), _percent(s.percentage_hard_bounces)),
            ("Soft bounces", _count(s.num_total_soft_bounces), _percent(s.percentage_soft_bounces)),
            ("Unsubscribes", _count(s.num_total_unsubscribes), _percent(s.percentage_unsubscribes)),
            ("ISP complaints", _count(s.num_total_isp_complaints), None),
        ]),
    ]


#: The bar chart's geometry, in SVG user units.
CHART_LABEL_WIDTH, CHART_BAR_WIDTH, CHART_ROW = 110, 220, 28


def chart(summary: Any) -> dict[str, Any]:
    """Bars for the details page's inline SVG, drawn server-side (no chart library, no CDN)."""
    s = summary
    values = [
        ("Delivered", s.num_total_delivered or 0, "#17a2b8"),
        ("Opens", s.num_total_opens or 0, "#007bff"),
        ("Clicks", s.num_total_clicks or 0, "#6f42c1"),
        ("Bounces", (s.num_total_hard_bounces or 0) + (s.num_total_soft_bounces or 0), "#fd7e14"),
        ("Unsubscribes", s.num_total_unsubscribes or 0, "#dc3545"),
    ]
    top = max(value for _, value, _ in values) or 1
    bars = [{"label": label, "value": value, "text": f"{value:,}", "colour": colour,
             "y": index * CHART_ROW, "width": round(CHART_BAR_WIDTH * value / top)}
            for index, (label, value, colour) in enumerate(values)]
    return {"bars": bars, "label_width": CHART_LABEL_WIDTH, "height": len(bars) * CHART_ROW,
            "width": CHART_LABEL_WIDTH + CHART_BAR_WIDTH + 70,
            "title": ", ".join(f"{bar['label']} {bar['text']}" for bar in bars)}


class CampaignView(RecordView):
    can_view_details = True
    details_template = "dotdigital/records/campaign_details.html"
    column_list = ["name", "subject", "from_name", "from_address", "status", "date_sent", "deleted"]
    column_details_list = ["name", "subject", "from_name", "from_address", "reply_to_address",
                           "reply_action", "status", "is_split_test", "address_books", "date_sent",
                           "deleted"]
    column_labels = {"from_name": "From name", "from_address": "From address", "date_sent": "Date sent",
                     "reply_to_address": "Reply-to address", "reply_action": "Reply action",
                     "is_split_test": "Split test", "address_books": "Address books"}
    column_sortable_list = ["status", "deleted", ("date_sent", "summary.date_sent")]
    column_default_sort = [("id", True)]
    column_searchable_list = ["name", "subject"]
    column_formatters = {"date_sent": date_sent}

    def __init__(self, model: Any, db: Any, *, integration_model: Any, summary_model: Any,
                 **kwargs: Any) -> None:
        self.summary_model = summary_model
        self.column_filters = ["status", "deleted", integration_filter(db, model, integration_model)]
        super().__init__(model, db, integration_model=integration_model, **kwargs)

    def get_query(self) -> Any:
        # The grid needs the summary's date only, not its ~50 counters.
        return super().get_query().options(
            joinedload(self.model.summary).options(load_only(self.summary_model.date_sent)))

    def statistics(self, campaign: Any) -> Any:
        return statistics(campaign.summary) if campaign.summary is not None else None

    def chart(self, campaign: Any) -> Any:
        return chart(campaign.summary) if campaign.summary is not None else None


# -- Activities -----------------------------------------------------------------------------------


class BouncedFilter(BaseSQLAFilter):
    """Soft or hard bounced: the grid's one "Bounced" filter over two columns."""

    def __init__(self, model: Any) -> None:
        super().__init__(model.hard_bounced, "Bounced", options=YES_NO)
        self.soft, self.hard = model.soft_bounced, model.hard_bounced

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        bounced = or_(self.soft.is_(True), self.hard.is_(True))
        return query.filter(bounced if value == "1" else not_(bounced))

    def operation(self) -> str:
        return "equals"


class ActivityView(RecordView):
    can_view_details = True
    column_list = ["campaign", "email", "num_opens", "num_clicks", "num_page_views", "date_sent",
                   "date_first_opened", "date_last_opened", "unsubscribed", "soft_bounced", "hard_bounced"]
    column_details_list = ["campaign", "email", "num_opens", "num_clicks", "num_page_views",
                           "num_forwards", "num_estimated_forwards", "num_replies", "date_sent",
                           "date_first_opened", "date_last_opened", "first_open_ip", "unsubscribed",
                           "soft_bounced", "hard_bounced"]
    column_labels = {"campaign": "Campaign", "num_opens": "Opens", "num_clicks": "Clicks",
                     "num_page_views": "Page views", "num_forwards": "Forwards",
                     "num_estimated_forwards": "Estimated forwards", "num_replies": "Replies",
                     "date_sent": "Date sent", "date_first_opened": "First opened",
                     "date_last_opened": "Last opened", "first_open_ip": "First open IP",
                     "soft_bounced": "Soft bounced", "hard_bounced": "Hard bounced"}
    column_sortable_list = ["email", "date_sent"]
    column_default_sort = [("date_sent", True), ("id", True)]
    column_searchable_list = ["email"]
    column_formatters = {"campaign": lambda v, c, m, p: m.campaign.name if m.campaign else NONE}

    def __init__(self, model: Any, db: Any, *, integration_model: Any, campaign_model: Any,
                 **kwargs: Any) -> None:
        self.campaign_model = campaign_model

        def campaigns() -> list[tuple[Any, str]]:
            query = db.select(campaign_model.id, campaign_model.name).order_by(campaign_model.name)
            return [tuple(row) for row in db.session.execute(query)]

        self.column_filters = [IntEqualFilter(model.campaign_id, "Campaign", options=LazyOptions(campaigns)),
                               BooleanEqualFilter(model.unsubscribed, "Unsubscribed", options=YES_NO),
                               BouncedFilter(model)]
        super().__init__(model, db, integration_model=integration_model, **kwargs)

    def get_query(self) -> Any:
        return super().get_query().options(
            joinedload(self.model.campaign).options(load_only(self.campaign_model.name)))
