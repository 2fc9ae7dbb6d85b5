"""The export: marketing list members → Dotdigital address books (Oro §2.6–2.7).

``connector`` runs the steps per connected book: remove members who left the list, mark
Dotdigital's unsubscribes back on the list, bring the members into local contacts with their mapped
data-field values, and upload the changed rows as CSV files. ``status`` polls the uploads and
applies their outcome (fault reports, watchdog rejections) and each book's sync status.
"""
