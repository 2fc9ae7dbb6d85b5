"""Contact imports into an address book (reference §3.1, §3.3, §3.4): reading the uploaded CSV,
the import's life (``NotFinished`` for a number of status polls, then ``Finished`` or the failure
status a control asked for), applying the rows to the account when it finishes, and the report and
fault file it leaves behind.

Rows are applied only at the moment the import finishes, as on the real service, so a client that
reads the book before polling to ``Finished`` sees nothing new.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .conventions import sentence_error
from .generator import CONTACT_ID_BASE
from .model import SUBSCRIBED, AccountData, AddressBook, Contact, DataField, Membership
from .wire import DATE_RE, NUMBER_RE

NOT_FINISHED = "NotFinished"
FINISHED = "Finished"
#: The terminal statuses a control can make the next upload end in (§3.1, §6 item 7); "Stuck"
#: is the sandbox's own: the import stays NotFinished for ever.
STUCK = "Stuck"
OUTCOMES = (
    "RejectedByWatchdog",
    "Failed",
    "InvalidFileFormat",
    "ExceedsAllowedContactLimit",
    "Unknown",
    STUCK,
)

OPT_IN_TYPES = ("Unknown", "Single", "Double", "VerifiedDouble")
EMAIL_TYPES = ("PlainText", "Html")
#: A plausible address: something@domain.tld, no spaces; Dotdigital's real rule is unpublished.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
BOOLEANS = {"true": True, "yes": True, "false": False, "no": False}

INVALID_FILE = "ERROR_IMPORT_INVALID_FILE"
#: ApiContactImportReport's keys, in the reference's order (§3.1).
REPORT_KEYS = (
    "newContacts",
    "updatedContacts",
    "globallySuppressed",
    "invalidEntries",
    "duplicateEmails",
    "blocked",
    "unsubscribed",
    "hardBounced",
    "softBounced",
    "ispComplaints",
    "mailBlocked",
    "domainSuppressed",
    "pendingDoubleOptin",
    "failures",
    "suppressedContacts",
)
#: Which report figure a suppressed contact's status counts towards. No source pairs them; the
#: names make most obvious, the rest count as ``suppressedContacts`` [UNSURE].
STATUS_FIGURES = {
    "Unsubscribed": "unsubscribed",
    "HardBounced": "hardBounced",
    "SoftBounced": "softBounced",
    "IspComplained": "ispComplaints",
    "DirectComplaint": "ispComplaints",
    "MailBlocked": "mailBlocked",
    "DomainSuppression": "domainSuppressed",
    "PendingOptIn": "pendingDoubleOptin",
    "SharedSuppression": "globallySuppressed",
    "NotAllowed": "blocked",
}
# Fault reasons: "Duplicate" and statuses such as "Unsubscribed" are in DOC-CONTACTS' example; the
# other two texts are the sandbox's guess [UNSURE].
INVALID_EMAIL = "Invalid email"
DUPLICATE = "Duplicate"
INVALID_VALUE = "Invalid data"


@dataclass(slots=True)
class CsvFile:
    header: list[str]
    rows: list[list[str]]
    email_column: int


@dataclass(slots=True)
class ContactImport:
    """One upload. ``rows`` are dropped once the import ends; ``faults`` are the fault-file lines
    (reason first, then the row as sent)."""

    id: str
    book_id: int
    file_name: str
    encoding: str
    csv_file: CsvFile
    polls_needed: int
    outcome: str = FINISHED
    status: str = NOT_FINISHED
    polls: int = 0
    row_count: int = 0
    report: dict[str, int] | None = None
    faults: list[list[str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def poll(self, data: AccountData, moment: datetime) -> str:
        """Answer one status poll; the poll after ``polls_needed`` ends the import."""
        self.polls += 1
        if self.status == NOT_FINISHED and self.outcome != STUCK and self.polls > self.polls_needed:
            if self.outcome == FINISHED:
                apply_import(data, self, moment)
            else:
                self.status = self.outcome
            self.csv_file.rows = []
        return self.status

    def dump(self) -> dict[str, Any]:
        """The import's entry in ``GET /__state`` (never the file itself: it can be megabytes)."""
        return {
            "id": self.id,
            "addressBookId": self.book_id,
            "status": self.status,
            "polls": self.polls,
            "rows": self.row_count,
            "fileName": self.file_name,
            "encoding": self.encoding,
            "faults": len(self.faults),
            "ignoredColumns": list(self.ignored_columns),
        }


# -- reading the file ------------------------------------------------------------------------
def read_csv(raw: bytes) -> CsvFile:
    """A UTF-8 CSV with a header row holding exactly one ``Email`` column (any case, §2.2, §3.3).
    Blank lines are skipped; short rows are padded. Anything else → 400 ``ERROR_IMPORT_INVALID_FILE``
    (the sentences are the sandbox's [UNSURE]; the real service may accept the file and end the
    import ``InvalidFileFormat`` instead)."""
    try:
        text = raw.decode("utf-8-sig")  # Excel writes a byte-order mark
        lines = [row for row in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in row)]
    except (UnicodeDecodeError, csv.Error):
        raise sentence_error(400, "The file must be a UTF-8 CSV file", INVALID_FILE) from None
    header = [name.strip() for name in lines[0]] if lines else []
    emails = [i for i, name in enumerate(header) if name.lower() == "email"]
    if len(emails) != 1:
        raise sentence_error(400, "The file must contain an Email column", INVALID_FILE)
    width = len(header)
    rows = [row[:width] + [""] * (width - len(row)) for row in lines[1:]]
    return CsvFile(header=header, rows=rows, email_column=emails[0])


# -- applying it -----------------------------------------------------------------------------
@dataclass(slots=True)
class _Columns:
    opt_in: int | None
    email_type: int | None
    fields: list[tuple[int, DataField]]
    ignored: list[str]


def _columns(data: AccountData, csv_file: CsvFile) -> _Columns:
    # Data fields are matched when the import runs, not at upload: a field created meanwhile counts.
    plan = _Columns(opt_in=None, email_type=None, fields=[], ignored=[])
    for index, name in enumerate(csv_file.header):
        folded = name.lower()
        record = data.find_field(name) if name else None
        if index == csv_file.email_column:
            continue
        if folded == "optintype":
            plan.opt_in = index
        elif folded == "emailtype":
            plan.email_type = index
        elif record is not None:
            plan.fields.append((index, record))
        else:
            plan.ignored.append(name)
    return plan


def _enum(text: str, choices: tuple[str, ...]) -> str | None:
    if not text.strip():
        return None
    for choice in choices:
        if text.strip().lower() == choice.lower():
            return choice
    raise ValueError(text)


def field_value(record: DataField, text: str) -> Any:
    """A cell as the field's type: Date values stay the ISO text given, Numeric become numbers,
    Boolean take true/false/yes/no. A blank cell clears the value (merge option 0, overwrite)."""
    text = text.strip()
    if not text:
        return None
    if record.type == "Numeric":
        if not NUMBER_RE.match(text):
            raise ValueError(text)
        number = float(text)
        return int(number) if number.is_integer() else number
    if record.type == "Boolean":
        return BOOLEANS[text.lower()]  # KeyError is a LookupError, caught with ValueError below
    if record.type == "Date":
        if not DATE_RE.match(text):
            raise ValueError(text)
        datetime.fromisoformat(text)
    return text


@dataclass(slots=True)
class _RowValues:
    opt_in: str | None
    email_type: str | None
    fields: dict[str, Any]


def _row_values(cells: list[str], plan: _Columns) -> _RowValues:
    return _RowValues(
        opt_in=None if plan.opt_in is None else _enum(cells[plan.opt_in], OPT_IN_TYPES),
        email_type=None if plan.email_type is None else _enum(cells[plan.email_type], EMAIL_TYPES),
        fields={record.name: field_value(record, cells[i]) for i, record in plan.fields},
    )


def apply_import(data: AccountData, record: ContactImport, moment: datetime) -> None:
    """Upsert each row's contact by email, set its data fields and add it to the book; fill the
    report and the faults. A book deleted meanwhile fails the import."""
    book = data.address_books.get(record.book_id)
    if book is None:
        record.status = "Failed"
        return
    run = _Run(data, book, _columns(data, record.csv_file), record.csv_file.email_column, moment)
    report = dict.fromkeys(REPORT_KEYS, 0)
    for cells in record.csv_file.rows:
        reason, figure = run.import_row(cells)
        report[figure] += 1
        if reason is not None:
            record.faults.append([reason, *cells])
    record.report, record.ignored_columns, record.status = report, run.plan.ignored, FINISHED


class _Run:
    """One import being applied, with the account's email index and the next free contact id."""

    def __init__(
        self, data: AccountData, book: AddressBook, plan: _Columns, email_column: int, moment: datetime
    ) -> None:
        self.data, self.book, self.plan = data, book, plan
        self.email_column, self.moment = email_column, moment
        # Kept between imports: rebuilding it for each file made a 1M-contact account quadratic.
        self.by_email = data.contacts_by_email()
        self.seen: set[str] = set()
        # Ids are handed out in increasing order and dicts keep it: the last key is the largest.
        self.next_id = next(reversed(data.contacts), CONTACT_ID_BASE) + 1

    def import_row(self, cells: list[str]) -> tuple[str | None, str]:
        """Apply one row: (fault reason or None, the report figure it counts towards)."""
        email = cells[self.email_column].strip()
        if not EMAIL_RE.match(email):
            return INVALID_EMAIL, "invalidEntries"
        key = email.lower()
        if key in self.seen:
            return DUPLICATE, "duplicateEmails"
        self.seen.add(key)
        try:
            values = _row_values(cells, self.plan)
        except (ValueError, LookupError):
            return INVALID_VALUE, "failures"
        contact = self.by_email.get(key)
        if contact is not None and contact.status != SUBSCRIBED:
            # Suppressed at account level: neither added nor updated, and reported with its
            # status so the CRM can mark it (§6 item 5).
            return contact.status, STATUS_FIGURES.get(contact.status, "suppressedContacts")
        figure = "updatedContacts"
        if contact is None:
            # A new contact keeps its address as sent; matching is case-insensitive.
            contact = Contact(self.next_id, email)
            self.by_email[key] = self.data.contacts[contact.id] = contact
            self.next_id += 1
            figure = "newContacts"
        contact.opt_in_type = values.opt_in or contact.opt_in_type
        contact.email_type = values.email_type or contact.email_type
        contact.data_fields.update(values.fields)
        contact.modified = self.moment
        # An existing membership keeps its per-book status (a contact who left this book is not
        # put back by an import) [UNSURE]; new members join Subscribed.
        self.book.members.setdefault(contact.id, Membership())
        return None, figure


# -- what it leaves behind -------------------------------------------------------------------
def faults_csv(record: ContactImport) -> str:
    """The fault file (§3.4): ``Reason`` then the original header, one line per faulty row. The csv
    module does the quoting, so values with commas, quotes or line breaks come back intact."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["Reason", *record.csv_file.header])
    writer.writerows(record.faults)
    return out.getvalue()
