"""The compiled ``recurrence:`` section: which fields make a ticket's fingerprint, the window.

The engine decides one ticket at a time and never reads another, so it does not count
recurrences: a caller fills the two integer fields this names before evaluating
(``escalate.learning.with_recurrences`` over a corpus, ``recurrence_fields`` for one ticket in
a middleware; the corpus commands of the CLI and ``escalate replay`` do it themselves).
Conditions read them like any custom field. See docs/policy-reference.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any

__all__ = ["RecurrenceDef"]


@dataclass(frozen=True, slots=True)
class RecurrenceDef:
    """``recurrence:`` compiled (``Policy.recurrence``). Read-only.

    * ``fingerprint``: the fields whose values, together, make a ticket's fingerprint
      (``("service", "category", "fields.u_symptom")``), in the order declared;
    * ``within``: the window before a ticket's ``opened_at`` that is counted (a wall-time
      ``timedelta``; both ends included); ``within_text`` as the policy wrote it;
    * ``recurrences``: the field set to the number of other tickets fixed (resolved or
      closed) with the ticket's fingerprint in ``[opened_at - within, opened_at]`` by a fix
      still holding then (not undone by a reopen; ``escalate.learning.recurrence``)
      (``fields.recurrences``);
    * ``occurrences``: the field set to the number of tickets opened with the fingerprint in
      that window, itself included (``fields.occurrences``: the third in 30 days has 3).

    Every fingerprint is read as of the instant that counts: the ticket's at its opening, an
    earlier ticket's at its fix (for ``recurrences``) and at its opening (for
    ``occurrences``). So the counts depend only on what happened up to the ticket's opening:
    recategorising a ticket later changes nothing already counted, and filling them once, when
    the ticket opens, and keeping them is sound.
    """

    fingerprint: tuple[str, ...]
    within: timedelta
    within_text: str
    recurrences: str = "fields.recurrences"
    occurrences: str = "fields.occurrences"

    @property
    def fields(self) -> tuple[str, str]:
        """The two fields the section fills: ``(recurrences, occurrences)``."""
        return (self.recurrences, self.occurrences)

    @property
    def custom_fields(self) -> Mapping[str, str]:
        """The two fields as ``custom_fields:`` entries (name under ``fields`` -> type)."""
        return MappingProxyType({name.removeprefix("fields."): "integer" for name in self.fields})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as the policy would write it.

        >>> RecurrenceDef(("service",), timedelta(days=30), "30d").to_dict()["fields"]
        {'recurrences': 'fields.recurrences', 'occurrences': 'fields.occurrences'}
        """
        return {
            "fingerprint": list(self.fingerprint),
            "within": self.within_text,
            "fields": {"recurrences": self.recurrences, "occurrences": self.occurrences},
        }
