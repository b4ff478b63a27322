"""The apply journal of a saved plan (``PLAN.json.applied``): file I/O only."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reconciler.apply.rows import DncOp
from reconciler.errors import ApplyError


class Journal:
    """What a saved plan's apply has done, next to the plan file (``PLAN.json.applied``).

    It makes ``apply PLAN.json`` resumable for the DNC part (which leaves no trace in the tenant
    that could be listed) and lets a saved plan apply only once, even when it has no user rows.
    Written atomically after every step. A plan made again with the same content (same hash,
    another ``created_at``) is another plan: the journal of the earlier one does not apply to it.
    """

    def __init__(self, path: Path, plan_hash: str, plan_created: str | None = None) -> None:
        self.path = path
        self.data: dict[str, Any] = {"plan_hash": plan_hash, "completed": False, "dnc_done": []}
        if plan_created is not None:
            self.data["plan_created_at"] = plan_created
        self.recorded = False  # the file holds a record of this very plan
        if path.exists():
            try:
                loaded = json.loads(path.read_text())
            except (OSError, ValueError) as err:
                raise ApplyError(f"{path}: unreadable apply journal ({err})") from None
            created = loaded.get("plan_created_at")
            if loaded.get("plan_hash") == plan_hash and (
                plan_created is None or created is None or created == plan_created
            ):
                self.data.update(loaded)
                self.recorded = True
        self._done: set[str] = set(self.data.get("dnc_done", []))

    @classmethod
    def for_plan(cls, plan_path: Path, plan_hash: str, plan_created: str | None = None) -> Journal:
        return cls(plan_path.with_name(plan_path.name + ".applied"), plan_hash, plan_created)

    @property
    def exists(self) -> bool:
        return self.path.exists()

    @property
    def completed(self) -> bool:
        return bool(self.data.get("completed"))

    def dnc_done(self, number: str, action: str) -> bool:
        return f"{action}:{number}" in self._done

    def record_dnc(self, ops: Sequence[DncOp]) -> None:
        for op in ops:
            self._done.add(f"{op.action}:{op.number}")
        self.data["dnc_done"] = sorted(self._done)
        self.save()

    def set(self, **values: Any) -> None:
        self.data.update(values)
        self.save()

    def save(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(self.data, indent=2, default=str) + "\n")
            os.replace(tmp, self.path)
        except OSError as err:
            raise ApplyError(
                f"cannot write the apply journal {self.path}: {err.strerror or err} (it records "
                "what a saved plan has applied; apply a copy of the plan in a writable directory)"
            ) from None
