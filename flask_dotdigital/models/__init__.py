"""The extension's SQLAlchemy models, one module per aggregate.

The host app owns the ``db`` and the user model, so the concrete classes are built against them by
:func:`build_models`: each module defines a mixin with the columns, and this function combines it
with ``db.Model``. Classes are built once per ``db``, so several apps sharing one ``db`` (tests, app
factories) share one set of models. Class names carry a ``Dotdigital`` prefix so that they never
clash with the host's own models (the example CRM has a ``Contact`` too) in SQLAlchemy's registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import relationship

from .address_book import AddressBookContactMixin, AddressBookMixin, MemberChangeMixin
from .campaign import (
    ActivityMixin,
    CampaignClickMixin,
    CampaignMixin,
    CampaignOpenMixin,
    CampaignSummaryMixin,
    campaign_address_book_table,
    summary_columns,
)
from .contact import ContactMixin
from .contact_export import ContactExportMixin
from .data_field import DataFieldMixin
from .field_conflict import FieldConflictMixin
from .integration import IntegrationMixin
from .mapping import DataFieldMappingConfigMixin, DataFieldMappingMixin
from .marketing_list import MarketingListMixin, RemovedItemMixin, StaticMemberMixin, UnsubscribedItemMixin
from .oauth import OAuthTokenMixin
from .sync import SyncCursorMixin, SyncRunMixin

_built: dict[int, Models] = {}


@dataclass(frozen=True)
class Models:
    """The concrete model classes of one ``db``."""

    Integration: Any
    AddressBook: Any
    Contact: Any
    AddressBookContact: Any
    MemberChange: Any
    Campaign: Any
    CampaignSummary: Any
    Activity: Any
    CampaignClick: Any
    CampaignOpen: Any
    DataField: Any
    DataFieldMapping: Any
    DataFieldMappingConfig: Any
    SyncRun: Any
    SyncCursor: Any
    MarketingList: Any
    ContactExport: Any
    FieldConflict: Any
    StaticMember: Any
    UnsubscribedItem: Any
    RemovedItem: Any
    OAuthToken: Any
    campaign_address_book: Any


def _model(db: Any, name: str, mixin: type, **attrs: Any) -> Any:
    return type(f"Dotdigital{name}", (mixin, db.Model), {"__module__": __name__, **attrs})


def build_models(db: Any, user_model: Any) -> Models:
    key = id(db)
    models = _built.get(key)
    if models is not None:
        if models.Integration.__dotdigital_user_model__ is not user_model:
            raise TypeError("flask-dotdigital models were already built for this db with another "
                            "user_model; pass the same user_model to every DotDigital(db=...).")
        return models
    links = campaign_address_book_table(db.metadata)
    integration = _model(db, "Integration", IntegrationMixin, __dotdigital_user_model__=user_model)
    models = Models(
        Integration=integration,
        AddressBook=_model(db, "AddressBook", AddressBookMixin),
        Contact=_model(db, "Contact", ContactMixin),
        AddressBookContact=_model(db, "AddressBookContact", AddressBookContactMixin),
        MemberChange=_model(db, "MemberChange", MemberChangeMixin),
        Campaign=_model(
            db, "Campaign", CampaignMixin,
            address_books=relationship("DotdigitalAddressBook", secondary=links,
                                       order_by="DotdigitalAddressBook.name"),
            summary=relationship("DotdigitalCampaignSummary", uselist=False, viewonly=True)),
        CampaignSummary=_model(db, "CampaignSummary", CampaignSummaryMixin, **summary_columns(),
                               campaign=relationship("DotdigitalCampaign", viewonly=True)),
        Activity=_model(db, "Activity", ActivityMixin,
                        campaign=relationship("DotdigitalCampaign", lazy="joined"),
                        contact=relationship("DotdigitalContact")),
        CampaignClick=_model(db, "CampaignClick", CampaignClickMixin,
                             campaign=relationship("DotdigitalCampaign")),
        CampaignOpen=_model(db, "CampaignOpen", CampaignOpenMixin,
                            campaign=relationship("DotdigitalCampaign")),
        DataField=_model(db, "DataField", DataFieldMixin,
                         integration=relationship("DotdigitalIntegration")),
        DataFieldMapping=_model(db, "DataFieldMapping", DataFieldMappingMixin),
        DataFieldMappingConfig=_model(db, "DataFieldMappingConfig", DataFieldMappingConfigMixin),
        SyncRun=_model(db, "SyncRun", SyncRunMixin),
        SyncCursor=_model(db, "SyncCursor", SyncCursorMixin),
        MarketingList=_model(
            db, "MarketingList", MarketingListMixin,
            address_book=relationship("DotdigitalAddressBook", back_populates="marketing_list",
                                      uselist=False)),
        StaticMember=_model(db, "StaticMember", StaticMemberMixin),
        FieldConflict=_model(db, "FieldConflict", FieldConflictMixin),
        ContactExport=_model(db, "ContactExport", ContactExportMixin,
                             address_book=relationship("DotdigitalAddressBook")),
        UnsubscribedItem=_model(db, "UnsubscribedItem", UnsubscribedItemMixin),
        RemovedItem=_model(db, "RemovedItem", RemovedItemMixin),
        OAuthToken=_model(db, "OAuthToken", OAuthTokenMixin, __dotdigital_user_model__=user_model),
        campaign_address_book=links,
    )
    _built[key] = models
    return models


__all__ = ["Models", "build_models"]
