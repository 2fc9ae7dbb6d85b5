"""Who is in a marketing list: its definition turned into one SQL query over the contact source.

Dynamic lists store a condition tree, ``{"match": "all"|"any", "rules": [rule | tree, ...]}``, where
a rule is ``{"field": "city", "op": "eq", "value": "London"}``. The same tree drives the admin's
condition builder, the member preview and (later) the export, so all three agree on membership.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, not_, or_, select

from .errors import ConfigError
from .models.enums import MarketingListType
from .sources import Columns, ContactSource, SourceField, base_query

#: operator → (label, needs a value)
OPERATORS: dict[str, tuple[str, bool]] = {
    "eq": ("equals", True),
    "ne": ("does not equal", True),
    "lt": ("is less than", True),
    "le": ("is at most", True),
    "gt": ("is greater than", True),
    "ge": ("is at least", True),
    "contains": ("contains", True),
    "not_contains": ("does not contain", True),
    "empty": ("is empty", False),
    "not_empty": ("is not empty", False),
}
TEXT_ONLY = {"contains", "not_contains"}


def coerce_value(field: SourceField, value: Any) -> Any:
    """The rule's value as the column's Python type, or a ConfigError that names the field."""
    text = "" if value is None else str(value).strip()
    try:
        if field.type == "integer":
            return int(text)
        if field.type == "numeric":
            return float(text)
        if field.type == "date":
            return date.fromisoformat(text)
        if field.type == "datetime":
            return datetime.fromisoformat(text)
        if field.type == "boolean":
            if text.lower() not in {"true", "false", "yes", "no", "1", "0"}:
                raise ValueError(text)
            return text.lower() in {"true", "yes", "1"}
    except ValueError as err:
        raise ConfigError(f'"{field.label}" needs a {field.type} value, not "{text}".') from err
    return text


def _rule_clause(columns: Columns, rule: dict[str, Any]) -> Any:
    field = columns.source.field(str(rule.get("field", "")))
    op = rule.get("op")
    if op not in OPERATORS:
        raise ConfigError(f'Unknown comparison "{op}" for "{field.label}".')
    column = columns(field.path)
    if op == "empty":
        return or_(column.is_(None), column == "") if field.type == "string" else column.is_(None)
    if op == "not_empty":
        return and_(column.is_not(None), column != "") if field.type == "string" else column.is_not(None)
    if op in TEXT_ONLY:
        if field.type != "string":
            raise ConfigError(f'"{field.label}" is not text: "{OPERATORS[op][0]}" does not apply.')
        pattern = "%" + str(rule.get("value") or "").lower().replace("%", r"\%").replace("_", r"\_") + "%"
        clause = func.lower(column).like(pattern, escape="\\")
        return clause if op == "contains" else or_(column.is_(None), not_(clause))
    value = coerce_value(field, rule.get("value"))
    if field.type == "string" and op in {"eq", "ne"}:
        column, value = func.lower(column), str(value).lower()  # emails and names: case-blind
    return {"eq": column == value, "ne": column != value, "lt": column < value, "le": column <= value,
            "gt": column > value, "ge": column >= value}[op]


def conditions_clause(columns: Columns, tree: Any) -> Any:
    """The SQL for a condition tree; an empty tree matches every record."""
    if not isinstance(tree, dict):
        raise ConfigError("A dynamic list needs its conditions.")
    rules = tree.get("rules") or []
    if not isinstance(rules, list):
        raise ConfigError("The list's conditions are malformed.")
    clauses = [conditions_clause(columns, r) if "rules" in r else _rule_clause(columns, r)
               for r in rules if isinstance(r, dict)]
    if not clauses:
        return and_(True)
    return or_(*clauses) if tree.get("match") == "any" else and_(*clauses)


def members_query(marketing_list: Any, source: ContactSource, models: Any,
                  columns: Columns | None = None) -> Select[Any]:
    """``(entity_id, email)`` of every member with an email, per the list's definition.

    Pass ``columns`` to select more of the entity's paths: their joins are then made here too.
    """
    columns = columns or Columns(source)
    query = base_query(source, columns)
    kind = MarketingListType(marketing_list.type)
    if kind == MarketingListType.dynamic:
        query = query.where(conditions_clause(columns, marketing_list.definition))
    elif kind == MarketingListType.static:
        member = models.StaticMember
        query = query.where(source.id_column.in_(
            select(member.entity_id).where(member.marketing_list_id == marketing_list.id)))
    else:
        segment = source.segments.get(str(marketing_list.definition or ""))
        if segment is None:
            raise ConfigError(f'The segment "{marketing_list.definition}" is not defined for '
                              f"{source.label}.")
        query = segment(query)
    return columns.apply_joins(query).order_by(source.id_column)


def membership_columns(kind: Any, definition: Any, source: ContactSource) -> frozenset[str] | None:
    """The entity's columns whose change can move a record into or out of the list, or None when
    a record's own columns do not decide it (a segment, a condition or an email on a relation).

    Change tracking records writes to these columns, and the export then compares only the records
    written; for a list that answers None it compares the whole list every run.
    """
    kind = MarketingListType(kind)
    if kind == MarketingListType.segment:
        return None
    paths = {source.email}
    if kind == MarketingListType.dynamic:
        paths |= _condition_paths(definition)
    if any("." in path for path in paths):
        return None
    return frozenset(paths)


def _condition_paths(tree: Any) -> set[str]:
    rules = tree.get("rules") if isinstance(tree, dict) else None
    paths: set[str] = set()
    for rule in rules if isinstance(rules, list) else []:
        if isinstance(rule, dict):
            paths |= _condition_paths(rule) if "rules" in rule else {str(rule.get("field", ""))}
    return paths


def validate_definition(kind: str, definition: Any, source: ContactSource) -> None:
    """Raise ConfigError with a sentence for the admin form when the definition cannot work."""
    if kind == MarketingListType.dynamic:
        conditions_clause(Columns(source), definition)
    elif kind == MarketingListType.segment and str(definition or "") not in source.segments:
        raise ConfigError(f"Choose one of {source.label}'s segments.")
