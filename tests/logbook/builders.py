"""Building large logbooks quickly (through the CSV import, i.e. the real rules and hashing)."""

from __future__ import annotations

from datetime import date, timedelta

from certreg.actors import Actor
from certreg.extensions import db
from certreg.logbook import checkpointing, holders, imports

SYSTEM = Actor.system("tests")
HEADER = ("date,kind,substance,quantity_kg,condition,cylinders,import_licence,customs_declaration,origin_country,"
          "exporter,export_licence,destination_country,documents\n")


def csv_lines(n: int, *, start: int = 0, first_day: date = date(2024, 1, 1)) -> str:
    """``n`` lines: imports of HCFC-22 and R-404A, with an export every tenth line (stock stays positive)."""
    lines = []
    for i in range(start, start + n):
        day = first_day + timedelta(days=i // 50)
        if i % 10 == 9:
            lines.append(f"{day},export,HCFC-22,5.5,virgin,,,,,,KZ-EXP-{i},UZ,INV-{i}")
        else:
            substance = "R-404A" if i % 3 else "HCFC-22"
            cylinders = f"CYL-{i}-A;CYL-{i}-B" if i % 7 == 0 else ""
            lines.append(f"{day},import,{substance},{10 + i % 13}.250,virgin,{cylinders},LIC-{i // 100},"
                         f"DECL-{i},CN,Example Chemical Co.,,,INV-{i}")
    return "\n".join(lines) + "\n"


def bulk_logbook(who: holders.Holder, n: int, *, checkpoints: int = 4) -> list[int]:
    """Import ``n`` entries into ``who``'s logbook in ``checkpoints`` files, signing a checkpoint after each.

    Needs signing keys (the ``keys_dir`` fixture) when ``checkpoints`` > 0. Returns the checkpoint sizes.
    """
    sizes = []
    parts = max(checkpoints, 1)
    step = -(-n // parts)
    for start in range(0, n, step):
        count = min(step, n - start)
        result = imports.import_csv(SYSTEM, who, (HEADER + csv_lines(count, start=start)).encode(), f"part{start}.csv")
        assert result.ok, result.errors[:5]
        db.session.commit()
        if checkpoints:
            sizes.append(checkpointing.create_checkpoint(SYSTEM, who.country_code).tree_size)
            db.session.commit()
    return sizes
