"""The export: marketing list members → Dotdigital address books (Oro §2.6–2.7).

``connector`` runs the steps per connected book: ``changes`` decides which records to compare
(those change tracking saw, or the whole list), ``removal`` removes members who left the list,
``members`` schedules the changed members and feeds the new ones to ``upload``, which sends them
as CSV files and records them; Dotdigital's unsubscribes are marked back on the list. ``status``
polls the uploads and applies their outcome (fault reports, watchdog rejections) and each book's
sync status.
"""
