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
from escalate.engine.decision import Action, Decision
from escalate.engine.ticket import Ticket
from escalate.engine.ticket_format import normalise_name
from escalate.errors import ArgumentError

__all__ = ["ESCALATIONS", "WORK_NOTES_MAX_LENGTH", "PatchOptions", "patch_body", "work_notes"]

WORK_NOTES_MAX_LENGTH = 4000
"""The default most characters of the ``work_notes`` a body writes: the length of a multi-line
text field out of the box (the instance's dictionary may say otherwise; declare it)."""
_MIN_NOTES = 200  # room for the first lines of an explanation and the truncation line
_MIN_CUT = 100  # room for the truncation line itself

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
      body writes ``priority`` when the decision's priority differs from the ticket's. Out of
      the box ServiceNow computes ``priority`` from impact and urgency (Priority Lookup
      Rules), so a written priority may be recomputed: leave this empty unless the instance
      lets ``priority`` be set.
    * ``work_notes_max_length``: the most characters ``work_notes`` holds (default
      :data:`WORK_NOTES_MAX_LENGTH`, 4000: a multi-line text field's length out of the box);
      a longer explanation is cut and ends with a line that says so. ``None``: no limit.
    """

    groups: Mapping[str, str] = field(default_factory=dict)
    input_display_value: bool = False
    escalation_levels: Mapping[str, str] = field(default_factory=dict)
    escalation_on_breach: str | None = "3"
    priorities: Mapping[str, str] = field(default_factory=dict)
    work_notes_max_length: int | None = WORK_NOTES_MAX_LENGTH

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
        limit = self.work_notes_max_length
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < _MIN_NOTES
        ):
            raise ArgumentError(
                f"work_notes_max_length must be a whole number >= {_MIN_NOTES}, or None: {limit!r}"
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

    * ``assignment_group``: of the due ``escalate`` / ``transfer`` actions whose first target
      is ``team:<name>``, those that move the ticket (moves to its current group -- the same
      sys_id, or a name equal to the team's ignoring case and separators -- are left out
      first); of these the last by ``due_at``, then id, through ``options.groups``. When moves
      to several teams remain, the work notes end with a line naming the one written and the
      ones not written.
    * ``escalation``: the highest of ``options.escalation_levels`` for the level each active
      path is at, and ``options.escalation_on_breach`` when a clock is breached; written when
      it differs from the record's escalation, if the mapping reads that column (in
      ``custom_columns`` or ``columns``), and always otherwise.
    * ``priority``: ``options.priorities`` of the decision's canonical priority, when that is
      not the ticket's priority (read through ``mapping.priorities``).
    * ``work_notes``: :func:`work_notes` of the decision, whenever the body is sent, at most
      ``options.work_notes_max_length`` characters.

    ``None`` when there is nothing to send: no due action and no field to change. The values
    are strings, as the Table API takes them; serialise with sorted keys for byte-identical
    output.
    """
    if not isinstance(options, PatchOptions):
        raise ArgumentError(f"options must be PatchOptions: {options!r}")
    display = options.input_display_value
    out: dict[str, str] = {}

    note = ""
    moves = _moves(decision, ticket, options)
    if moves:
        team, _ = moves[-1]
        group = options.groups.get(team)
        if group is None:
            if not display:
                raise ArgumentError(
                    f"team {team!r} has no sys_id in PatchOptions.groups (or write display"
                    " values with input_display_value=True)"
                )
            group = team
        out["assignment_group"] = group
        others = [f"team:{t} ({_move(a)})" for t, a in moves[:-1] if t != team]
        if others:
            note = (
                f"\nassignment_group: team:{team} written, the latest due move"
                f" ({_move(moves[-1][1])}); not written: {', '.join(others)}"
            )

    escalation = _escalation(decision, options)
    if escalation is not None:
        known, current = _record_escalation(ticket, mapping)
        if not known or current != escalation:
            out["escalation"] = ESCALATIONS[escalation] if display else escalation

    wanted = options.priorities.get(decision.priority or "")
    if wanted is not None:
        label = mapping.priorities.get(wanted, wanted)
        if ticket.priority not in (wanted, label):
            out["priority"] = label if display else wanted

    if not decision.actions and not out:
        return None
    limit = options.work_notes_max_length
    note = _plain(note)
    if limit is None or limit - len(note) < _MIN_CUT:
        out["work_notes"] = _truncate(work_notes(decision) + note, limit)
    else:  # the note survives a cut explanation
        out["work_notes"] = work_notes(decision, max_length=limit - len(note)) + note
    return dict(sorted(out.items()))


def _moves(decision: Decision, ticket: Ticket, options: PatchOptions) -> list[tuple[str, Action]]:
    """The due team moves that move the ticket (team, action), by ``due_at`` then id."""
    current = ticket.assignment_group
    out: list[tuple[str, Action]] = []
    for action in sorted(decision.actions, key=lambda a: (a.due_at, a.id)):
        if action.kind not in ("escalate", "transfer") or not action.targets:
            continue
        target = action.targets[0]
        if not target.startswith("team:"):
            continue
        team = target.removeprefix("team:")
        # The ticket names its group as the record did: a sys_id, or a display name that
        # may be the team's own name written another way ("Second Line", second-line).
        if current is not None and (
            options.groups.get(team) == current or normalise_name(team) == normalise_name(current)
        ):
            continue
        out.append((team, action))
    return out


def _move(action: Action) -> str:
    return f"{action.kind} by {action.source}, due {action.due_at.isoformat()}"


def _record_escalation(ticket: Ticket, mapping: ServiceNowMapping) -> tuple[bool, str | None]:
    """Whether the ticket carries the record's ``escalation`` (the mapping reads the column),
    and its value (``"0"`` .. ``"3"``; a label is read back to its value)."""
    if "escalation" in mapping.custom_columns:
        target: str | None = "fields.escalation"
    else:
        target = mapping.columns.get("escalation")
    if target is None:
        return False, None
    if target.startswith("fields."):
        value = ticket.fields.get(target.removeprefix("fields."))
    elif target.startswith("customer."):
        return False, None
    else:
        value = getattr(ticket, target, None)
    if value is None:
        return True, None
    text = str(value)
    values = {label: code for code, label in ESCALATIONS.items()}
    return True, values.get(text, text)


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


def work_notes(decision: Decision, *, max_length: int | None = None) -> str:
    """The decision's explanation as work-note text that ServiceNow shows as written.

    With ``max_length`` a longer text is cut (at a line end when one is near) and ends with a
    line saying how much was left out, the whole at most ``max_length`` characters.

    Journal fields render ``[code]...[/code]`` as HTML: every such tag (any case, spaces
    inside) is written ``(code)`` / ``(/code)``, so a rule's rationale cannot inject markup.
    Control characters other than new lines and tabs, and invisible format characters
    (bidirectional overrides such as U+202E, zero-width spaces) are written as ``<U+202E>``,
    so what a reader sees is what the text says.

    >>> from escalate.adapters.servicenow._patch import _plain
    >>> _plain("see [CODE]<img src=x>[/code] \\u202egnp.exe")
    'see (CODE)<img src=x>(/code) <U+202E>gnp.exe'
    """
    if max_length is not None and (
        isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < _MIN_CUT
    ):
        raise ArgumentError(f"max_length must be a whole number >= {_MIN_CUT}: {max_length!r}")
    return _truncate(_plain(decision.explain()), max_length)


def _truncate(text: str, max_length: int | None) -> str:
    if max_length is None or len(text) <= max_length:
        return text
    total = len(text)
    keep = max(0, max_length - len(_cut_line(total, total)))
    line_end = text.rfind("\n", 0, keep + 1)
    if line_end > keep // 2:
        keep = line_end
    return text[:keep] + _cut_line(total - keep, total)[: max_length - keep]


def _cut_line(left_out: int, total: int) -> str:
    return f"\n(work notes truncated: {left_out} of {total} characters left out)"


def _plain(text: str) -> str:
    text = _CODE_TAG.sub(r"(\1)", text)
    return "".join(
        f"<U+{ord(c):04X}>"
        if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")
        else c
        for c in text
    )
