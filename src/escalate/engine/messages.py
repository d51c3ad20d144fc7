"""Rendered audience messages: the value :meth:`escalate.Policy.messages` returns.

The engine renders nothing (a decision carries no text); a compiled policy renders messages
on request through the :class:`Renderer` the compiler gave it (:mod:`escalate.comms`), so the
engine never imports the template machinery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from escalate.engine.decision import Decision
    from escalate.people.availability import Availability

__all__ = ["Message", "Renderer"]


@dataclass(frozen=True, slots=True)
class Message:
    """One message for one audience, rendered from a due ``notify`` action's template.

    A value: immutable, hashable, equal when every field is. ``action_id`` is the id of the
    action it renders (record ``action-done`` with it once sent); ``audience`` who reads it
    (``internal``, ``customer``, ``executive``, ``regulator``, ``vendor``); ``channel`` and
    ``template`` as the action names them; ``subject`` and ``body`` the rendered text, with
    every value the audience may not read replaced (see docs/notifications.md,
    "Redaction"); ``to`` the action's targets as written and ``people`` the people they
    reach; ``owner`` the single point of contact who speaks for us to this audience (a
    person id; ``None`` for an audience that names none).
    """

    action_id: str
    audience: str
    channel: str
    template: str
    subject: str
    body: str
    to: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    owner: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "to", tuple(self.to))
        object.__setattr__(self, "people", tuple(self.people))

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (plain dicts and lists)."""
        return {
            "action_id": self.action_id,
            "audience": self.audience,
            "channel": self.channel,
            "template": self.template,
            "subject": self.subject,
            "body": self.body,
            "to": list(self.to),
            "people": list(self.people),
            "owner": self.owner,
        }


class Renderer(Protocol):
    """What a compiled policy renders messages and exports with (:mod:`escalate.comms`)."""

    def messages(self, decision: Decision, availability: Availability) -> tuple[Message, ...]:
        """The messages of the decision's due notify actions that name a declared template."""
        ...

    def export(
        self, decision: Decision, audience: str, *, own_vendor: str | None = None
    ) -> dict[str, Any]:
        """``decision.to_dict()`` as ``audience`` may read it (with ``own_vendor``, the
        vendor audience keeps that vendor's state alone)."""
        ...

    @property
    def contacts(self) -> Mapping[str, tuple[str, ...]]:
        """Each audience that names a point of contact, and its contacts in the order tried."""
        ...

    @property
    def classification(self) -> Mapping[str, str]:
        """The policy's ``classification:``: field path -> class."""
        ...
