"""A decision written back as the body of a Table API ``PATCH`` of the incident.

:func:`patch_body` gives what a middleware sends to ``PATCH /api/now/table/incident/{sys_id}``:
the assignment group, the incident's ``escalation``, the priority when the decision changes it,
and ``work_notes`` carrying the decision's explanation as plain text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from types import MappingProxyType

from escalate.adapters.servicenow._mapping import ServiceNowMapping
from escalate.engine.decision import Decision
from escalate.engine.ticket import Ticket
from escalate.engine.ticket_format import normalise_name
from escalate.errors import ArgumentError

__all__ = ["ESCALATIONS", "PatchOptions", "patch_body", "work_notes"]

ESCALATIONS: Mapping[str, str] = MappingProxyType(
    {"0": "Normal", "1": "Moderate", "2": "High", "3": "Overdue"}
)
"""The incident ``escalation`` choices of a ServiceNow instance out of the box: value ->
label."""


@dataclass(frozen=True, slots=True)
class PatchOptions:
    """How a decision is written back to one ServiceNow instance.

    * ``groups``: escalate team (the ``team:<name>`` target of an ``escalate`` / ``transfer``
      action) -> what the body writes in ``assignment_group``: the group's sys_id, or with
      ``input_display_value`` its display name. A team not in the table is refused when
      writing sys_ids (a sys_id is never guessed) and written as its own name otherwise.
    * ``input_display_value``: ``False`` (default) writes stored values (sys_ids, ``"2"``);
      ``True`` writes display values (group names, ``"High"``, ``"2 - High"``) and the request
      must carry ``?sysparm_input_display_value=true``, or ServiceNow stores the names as
      values.
    * ``escalation_levels``: path level name -> ``escalation`` value (``"0"`` Normal, ``"1"``
      Moderate, ``"2"`` High, ``"3"`` Overdue); ``escalation_on_breach``: the value when a
      clock of the decision is breached (``None``: breaches do not set it). The body writes the
      highest value that applies; none: no ``escalation``.
    * ``priorities``: canonical priority (``P1``) -> ServiceNow priority value (``"1"``); the
      body writes ``priority`` when the decision's priority differs from the ticket's.
    """

    groups: Mapping[str, str] = field(default_factory=dict)
    input_display_value: bool = False
    escalation_levels: Mapping[str, str] = field(default_factory=dict)
    escalation_on_breach: str | None = "3"
    priorities: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("groups", "escalation_levels", "priorities"):
            table = getattr(self, name)
            if not isinstance(table, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in table.items()
            ):
                raise ArgumentError(f"{name} must map strings to non-empty strings: {table!r}")
            object.__setattr__(self, name, MappingProxyType(dict(sorted(table.items()))))
        if not isinstance(self.input_display_value, bool):
            raise ArgumentError(
                f"input_display_value must be true or false: {self.input_display_value!r}"
            )
        levels = [*self.escalation_levels.values()]
        if self.escalation_on_breach is not None:
            levels.append(self.escalation_on_breach)
        for value in levels:
            if value not in ESCALATIONS:
                raise ArgumentError(
                    f"escalation values are 0 (Normal), 1 (Moderate), 2 (High), 3 (Overdue):"
                    f" {value!r}"
                )

    def __hash__(self) -> int:
        return hash(
            tuple(
                tuple(v.items()) if isinstance(v, Mapping) else v
                for v in (getattr(self, f.name) for f in dataclass_fields(self))
            )
        )


def patch_body(
    decision: Decision, ticket: Ticket, mapping: ServiceNowMapping, options: PatchOptions
) -> dict[str, str] | None:
    """The body of ``PATCH /api/now/table/incident/{sys_id}`` for ``decision`` on ``ticket``.

    * ``assignment_group``: the team of the last due ``escalate`` / ``transfer`` action (by
      ``due_at``, then id) whose first target is ``team:<name>``, through ``options.groups``;
      left out when it is already the ticket's group (the same sys_id, or a name equal to the
      team's ignoring case and separators).
    * ``escalation``: the highest of ``options.escalation_levels`` for the level each active
      path is at, and ``options.escalation_on_breach`` when a clock is breached.
    * ``priority``: ``options.priorities`` of the decision's canonical priority, when that is
      not the ticket's priority (read through ``mapping.priorities``).
    * ``work_notes``: :func:`work_notes` of the decision, whenever the body is sent.

    ``None`` when there is nothing to send: no due action and no field to change. The values
    are strings, as the Table API takes them; serialise with sorted keys for byte-identical
    output.
    """
    if not isinstance(options, PatchOptions):
        raise ArgumentError(f"options must be PatchOptions: {options!r}")
    display = options.input_display_value
    out: dict[str, str] = {}

    moves = sorted(
        (a for a in decision.actions if a.kind in ("escalate", "transfer")),
        key=lambda a: (a.due_at, a.id),
    )
    teams = [t.removeprefix("team:") for a in moves for t in a.targets[:1] if t.startswith("team:")]
    if teams:
        team = teams[-1]
        group = options.groups.get(team)
        if group is None:
            if not display:
                raise ArgumentError(
                    f"team {team!r} has no sys_id in PatchOptions.groups (or write display"
                    " values with input_display_value=True)"
                )
            group = team
        current = ticket.assignment_group
        # The ticket names its group as the record did: a sys_id, or a display name that
        # may be the team's own name written another way ("Second Line", second-line).
        if current is None or (
            group != current and normalise_name(team) != normalise_name(current)
        ):
            out["assignment_group"] = group

    escalation = _escalation(decision, options)
    if escalation is not None:
        out["escalation"] = ESCALATIONS[escalation] if display else escalation

    wanted = options.priorities.get(decision.priority or "")
    if wanted is not None:
        label = mapping.priorities.get(wanted, wanted)
        if ticket.priority not in (wanted, label):
            out["priority"] = label if display else wanted

    changes = {k: v for k, v in out.items() if k != "escalation"}
    if not decision.actions and not changes:
        return None
    out["work_notes"] = work_notes(decision)
    return dict(sorted(out.items()))


def _escalation(decision: Decision, options: PatchOptions) -> str | None:
    found: list[str] = []
    for state in decision.paths.values():
        if state.active and state.level_name is not None:
            value = options.escalation_levels.get(state.level_name)
            if value is not None:
                found.append(value)
    if options.escalation_on_breach is not None and any(
        clock.breached for clock in decision.clocks.values()
    ):
        found.append(options.escalation_on_breach)
    return max(found, key=int) if found else None


# Journal fields (work notes, comments) render text between [code] and [/code] as HTML; the
# tag is matched without regard to case. Its brackets become parentheses, so the text shows as
# written and nothing in it is markup.
_CODE_TAG = re.compile(r"\[(\s*/?\s*code\s*)\]", re.IGNORECASE)


def work_notes(decision: Decision) -> str:
    """The decision's explanation as work-note text that ServiceNow shows as written.

    Journal fields render ``[code]...[/code]`` as HTML: every such tag (any case, spaces
    inside) is written ``(code)`` / ``(/code)``, so a rule's rationale cannot inject markup.
    Control characters other than new lines and tabs, and invisible format characters
    (bidirectional overrides such as U+202E, zero-width spaces) are written as ``<U+202E>``,
    so what a reader sees is what the text says.

    >>> from escalate.adapters.servicenow._patch import _plain
    >>> _plain("see [CODE]<img src=x>[/code] \\u202egnp.exe")
    'see (CODE)<img src=x>(/code) <U+202E>gnp.exe'
    """
    return _plain(decision.explain())


def _plain(text: str) -> str:
    text = _CODE_TAG.sub(r"(\1)", text)
    return "".join(
        f"<U+{ord(c):04X}>"
        if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")
        else c
        for c in text
    )
