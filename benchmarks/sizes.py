"""How big each scenario runs in each mode.

The full mode is what BENCHMARKS.md reports; it stays under 20 minutes on the 2-core machine,
with the 1M export of the memory scenario as its longest step. ``--quick`` stays under 3 minutes and
``--smoke`` (the harness test) under a minute; both only prove that the harness still works.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Sizes:
    mode: str
    #: host contacts in the list for scenarios 1-3
    export: int
    #: contacts posted one at a time for the per-contact baseline (then extrapolated)
    per_contact_sample: int
    #: contacts in the sandbox's book for the import
    imports: int
    #: the two list sizes whose peak RSS is compared
    memory_small: int
    memory_big: int
    #: host records updated for the change-tracking overhead, and per commit
    tracking: int
    tracking_batch: int
    #: rows in the admin grids (many vs few)
    admin_many: int
    admin_few: int
    #: the tiered limit's window in seconds (the real one is 60) and the calls allowed in it
    rate_window: float
    rate_limit: int
    #: contacts in the sandbox account each of the 4 integrations syncs
    scale_contacts: int


FULL = Sizes(mode="full", export=100_000, per_contact_sample=2_000, imports=100_000,
             memory_small=100_000, memory_big=1_000_000, tracking=10_000, tracking_batch=100,
             admin_many=1_000_000, admin_few=1_000, rate_window=60.0, rate_limit=60,
             scale_contacts=10_000)
QUICK = Sizes(mode="quick", export=10_000, per_contact_sample=2_000, imports=10_000,
              memory_small=10_000, memory_big=100_000, tracking=10_000, tracking_batch=100,
              admin_many=10_000, admin_few=1_000, rate_window=10.0, rate_limit=20,
              scale_contacts=1_500)
SMOKE = Sizes(mode="smoke", export=300, per_contact_sample=50, imports=300, memory_small=300,
              memory_big=1_500, tracking=300, tracking_batch=100, admin_many=300, admin_few=30,
              rate_window=1.0, rate_limit=10, scale_contacts=100)


def sizes_for(*, quick: bool, smoke: bool, size: int | None) -> Sizes:
    chosen = SMOKE if smoke else QUICK if quick else FULL
    if size is not None:
        chosen = replace(chosen, export=size, imports=size, memory_small=size, memory_big=size * 10,
                         tracking=size, admin_many=size)
    return chosen
