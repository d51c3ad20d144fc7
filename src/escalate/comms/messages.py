"""Audience messages and exports: what a compiled policy renders on request.

:func:`compile_comms` checks and compiles a policy's ``classification:``, ``redaction:``,
``templates:`` and ``audiences:`` into a :class:`Comms`, which the compiled policy keeps and
calls from :meth:`escalate.Policy.messages` and :meth:`escalate.Policy.export`; it also gives
the engine the audiences with an update cadence (:class:`~escalate.engine.audiences.AudienceDef`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from escalate.calendars._durations import parse_duration
from escalate.comms.models import (
    AUDIENCES,
    EXTERNAL_AUDIENCES,
    AudienceSpec,
    RedactionSpec,
    TemplateSpec,
)
from escalate.comms.redaction import (
    VIEW_FIELDS,
    Profile,
    Scrubber,
    classified_values,
    ticket_view,
)
from escalate.comms.templates import CompiledTemplate, Schema, compile_template
from escalate.engine.audiences import AudienceDef
from escalate.engine.decision import Decision, iso
from escalate.engine.history import HISTORY_FIELDS
from escalate.engine.messages import Message
from escalate.engine.vendors import shared_ticket
from escalate.errors import ArgumentError, MessageError, PolicyError, shown, suggest
from escalate.people.availability import Availability
from escalate.people.directory import Directory

__all__ = ["CLASSIFIABLE", "Comms", "compile_comms"]

#: The ticket fields a classification may name (besides ``fields.<name>``).
CLASSIFIABLE = (*HISTORY_FIELDS, "comments")
_CONTACT_KINDS = ("person", "role", "team", "schedule", "manager")
_NOTIFY_SPECIAL = ("assignee", "assignment-group", "customer", "requester")

_CLOCK = dict.fromkeys(
    (
        "name",
        "type",
        "definition",
        "state",
        "cycle",
        "target",
        "calendar",
        "started_at",
        "stopped_at",
        "paused_since",
        "elapsed",
        "elapsed_wall",
        "remaining",
        "percent",
        "breached",
        "breach_at",
    )
)
_PATH = dict.fromkeys(
    (
        "name",
        "kind",
        "active",
        "level",
        "entered_at",
        "reason",
        "round",
        "cycle",
        "acknowledged_at",
        "next_move_at",
    )
)
_TICKET: dict[str, Any] = {
    **dict.fromkeys(
        (
            "id",
            "priority",
            "opened_at",
            *VIEW_FIELDS,
            "regulatory_flags",
            "reassignment_count",
            "reopen_count",
            "comments",
        )
    ),
    "customer": {"id": None, "tier": None, "vip": None},
    "fields": {"*": (None, None, "field")},
}


def _schema(clocks: Sequence[str], paths: Sequence[str], custom: Sequence[str]) -> Schema:
    # with custom_fields: declared, a template may name those fields only (a misspelt one is
    # a load error); without, any name (the policy does not say which fields tickets have)
    fields = {"*": (tuple(custom) or None, None, "custom field")}
    return {
        "ticket": {**_TICKET, "fields": fields},
        "decision": {
            "priority": None,
            "evaluated_at": None,
            "next_evaluation_at": None,
            "clocks": {"*": (tuple(clocks), _CLOCK, "clock")},
            "paths": {"*": (tuple(paths), _PATH, "path")},
        },
        "owner": {"id": None, "name": None},
        "audience": None,
        "policy": {"id": None, "version": None},
        "action": dict.fromkeys(("id", "source", "due_at", "late", "channel", "template", "to")),
    }


@dataclass(frozen=True, slots=True)
class _Audience:
    """An audience as messages see it: its profile, whether it is external, its contacts."""

    name: str
    profile: Profile
    external: bool
    contacts: tuple[str, ...]


class Comms:
    """A policy's compiled communication sections (see the module docstring). Immutable."""

    __slots__ = (
        "_audiences",
        "_classification",
        "_directory",
        "_fields",
        "_policy",
        "_vendor_fields",
        "templates",
        "unnamed_fields",
    )

    def __init__(
        self,
        *,
        templates: Mapping[str, CompiledTemplate],
        classification: Mapping[str, str],
        audiences: Mapping[str, _Audience],
        directory: Directory,
        policy: tuple[str, str],
        fields: tuple[str, ...],
        unnamed_fields: tuple[str, ...] = (),
        vendor_fields: tuple[str, ...] | None = None,
    ) -> None:
        self.templates = dict(templates)
        #: Classified custom fields (``fields.<name>``) that nothing else in the policy names
        #: (no ``custom_fields:`` entry, no template): lint warns, as a misspelt one redacts
        #: nothing (``classified-field-unknown``).
        self.unnamed_fields = unnamed_fields
        self._classification = dict(sorted(classification.items()))
        self._audiences = dict(audiences)
        self._directory = directory
        self._policy = policy
        self._fields = fields
        #: For a policy declaring vendors: the ticket fields every vendor's data_sharing
        #: lists, all a vendor-audience message may show (``None``: no vendors).
        self._vendor_fields = vendor_fields

    @property
    def contacts(self) -> Mapping[str, tuple[str, ...]]:
        """Each audience that names a point of contact, and its contacts in the order tried."""
        return {name: a.contacts for name, a in self._audiences.items() if a.contacts}

    @property
    def classification(self) -> Mapping[str, str]:
        """The policy's ``classification:``: field path -> class, sorted by path."""
        return self._classification

    def audience(self, name: str) -> _Audience:
        found = self._audiences.get(name)
        if found is None:
            return _Audience(name, Profile.default(name), name in EXTERNAL_AUDIENCES, ())
        return found

    # -- messages -------------------------------------------------------------------------------

    def messages(self, decision: Decision, availability: Availability) -> tuple[Message, ...]:
        """The messages of ``decision``'s due notify actions naming a declared template."""
        wanted = [
            a
            for a in decision.actions
            if a.kind == "notify" and a.details.get("template") in self.templates
        ]
        if not wanted:
            return ()
        shared = self._decision_vars(decision)
        views: dict[str, tuple[dict[str, Any], dict[str, Any], Scrubber]] = {}
        out = []
        for action in wanted:
            template = self.templates[action.details["template"]]
            audience = self.audience(template.audience)
            if audience.name not in views:
                view, scrubber = self._view(decision, audience.profile)
                if audience.name == "vendor" and self._vendor_fields is not None:
                    # whichever vendor receives it: only what every agreement shares
                    view = shared_ticket(view, self._vendor_fields)
                views[audience.name] = (view, scrubber.data(shared, keys=False), scrubber)
            view, scrubbed, scrubber = views[audience.name]
            owner = self._owner(decision, audience, availability, action.id, template.name)
            # Every string the template can read is scrubbed before it renders, so no filter
            # (upper, list, join, a slice) can turn a withheld value into text the scrub of
            # the result no longer recognises; the result is scrubbed again below.
            variables = {
                "ticket": view,
                "decision": scrubbed,
                "owner": None if owner is None else scrubber.data(self._person(owner)),
                "audience": audience.name,
                "policy": {"id": self._policy[0], "version": self._policy[1]},
                "action": scrubber.data(
                    {
                        "id": action.id,
                        "source": action.source,
                        "due_at": iso(action.due_at),
                        "late": action.late,
                        "channel": action.details.get("channel"),
                        "template": template.name,
                        "to": list(action.targets),
                    }
                ),
            }
            try:
                subject, body = template.render(variables)
            except MessageError as exc:
                raise MessageError(f"action {action.id!r}: {exc}") from None
            out.append(
                Message(
                    action_id=action.id,
                    audience=audience.name,
                    channel=str(action.details.get("channel")),
                    template=template.name,
                    subject=scrubber.text(subject),
                    body=scrubber.text(body),
                    to=action.targets,
                    people=action.people,
                    owner=owner,
                )
            )
        return tuple(out)

    def _view(self, decision: Decision, profile: Profile) -> tuple[dict[str, Any], Scrubber]:
        ticket = decision.ticket
        view = ticket_view(ticket, decision.priority, self._classification, profile, self._fields)
        values = classified_values(ticket, self._classification, profile.redact)
        scrubber = Scrubber(values, profile.placeholder)
        scrubbed: dict[str, Any] = scrubber.data(view, keys=False)
        return scrubbed, scrubber

    @staticmethod
    def _decision_vars(decision: Decision) -> dict[str, Any]:
        data = decision.to_dict(trace=False)
        return {
            "priority": data["priority"],
            "evaluated_at": data["evaluated_at"],
            "next_evaluation_at": data["next_evaluation_at"],
            "clocks": {c["name"]: c for c in data["clocks"]},
            "paths": {p["name"]: p for p in data["paths"]},
        }

    def _person(self, pid: str) -> dict[str, Any]:
        person = self._directory.people.get(pid)
        name = person.name if person is not None and person.name else pid
        return {"id": pid, "name": name}

    def _owner(
        self,
        decision: Decision,
        audience: _Audience,
        availability: Availability,
        action_id: str,
        template: str,
    ) -> str | None:
        """The one person who speaks for us to ``audience`` (``None``: it names no contact)."""
        if not audience.contacts:
            return None
        at = decision.evaluated_at
        tried = []
        for contact in audience.contacts:
            if contact == "assignee":
                assignee = decision.ticket.state_at(at).assignee
                people: tuple[str, ...] = () if assignee is None else (assignee,)
            else:
                people = self._directory.resolve([contact], at, availability).people
            if len(people) == 1:
                return people[0]
            if len(people) > 1:
                raise MessageError(
                    f"action {action_id!r} (template {template!r}): the point of contact "
                    f"{contact} of audience {audience.name!r} names {len(people)} people "
                    f"({', '.join(people)}); a message names exactly one owner"
                )
            tried.append(contact)
        raise MessageError(
            f"action {action_id!r} (template {template!r}): no point of contact of audience "
            f"{audience.name!r} names anyone at {iso(at)} (tried {', '.join(tried)}); a "
            "message names exactly one owner"
        )

    # -- export ---------------------------------------------------------------------------------

    def export(
        self, decision: Decision, audience_name: str, *, own_vendor: str | None = None
    ) -> dict[str, Any]:
        """``decision.to_dict()`` as ``audience_name`` may read it (see
        :meth:`escalate.Policy.export`).

        Vendor states (other parties' contract state and penalties, commercial data), the
        governance flags, the post-mortem follow-up and the risk classes of actions are
        internal: every audience but
        ``internal`` loses them, except that the ``vendor`` audience keeps the state of
        ``own_vendor`` alone (the vendor it is exported for;
        :meth:`escalate.Policy.vendor_view` narrows it further)."""
        if audience_name not in AUDIENCES:
            raise ArgumentError(
                f"unknown audience {shown(audience_name)} (audiences: {', '.join(AUDIENCES)})"
                + _hint(suggest(audience_name, AUDIENCES))
            )
        audience = self.audience(audience_name)
        internal = audience_name == "internal"
        data = decision.to_dict(trace=internal)
        if not internal:
            for key in ("actions", "missed"):
                if key in data:
                    data[key] = [
                        {**{k: v for k, v in a.items() if k != "risks"}, "people": [], "notes": []}
                        for a in data[key]
                        if a["kind"] == "notify" and a["details"].get("audience") == audience_name
                    ]
            if audience.external:
                data.pop("paths", None)
                data.pop("withdrawn", None)
            data.pop("governance", None)
            data.pop("postmortem", None)  # owners, items: internal follow-up
            states = data.pop("vendors", None)
            if states is not None and own_vendor is not None and audience_name == "vendor":
                data["vendors"] = [v for v in states if v["vendor"] == own_vendor]
        view, scrubber = self._view(decision, audience.profile)
        data["audience"] = audience_name
        data["ticket_view"] = view
        exported: dict[str, Any] = scrubber.data(data)
        return exported


def _hint(found: str | None) -> str:
    return "" if found is None else f" (did you mean {found!r}?)"


# -- compiling ------------------------------------------------------------------------------------


def compile_comms(
    *,
    classification: Mapping[str, str],
    redaction: Mapping[str, RedactionSpec],
    templates: Mapping[str, TemplateSpec],
    audiences: Mapping[Any, AudienceSpec],
    directory: Directory,
    clocks: Sequence[str],
    paths: Sequence[str],
    priorities: Sequence[str] | None,
    policy: tuple[str, str],
    cache: dict[str, Any] | None = None,
    custom_fields: Sequence[str] = (),
    vendor_fields: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Comms, tuple[AudienceDef, ...]]:
    """The compiled sections and the audiences with a cadence (in name order); every
    problem is a :class:`~escalate.errors.PolicyError` naming its key path.

    ``cache`` (shared by a policy and its segments' policies while they compile) keeps each
    compiled template by its text, variables and the clocks and paths it may name: a segment
    that does not change a template does not compile it again (compiling one costs about as
    much as rendering it fifty times).

    ``vendor_fields``: each declared vendor's ``data_sharing.fields`` (``None`` or empty: the
    policy declares no vendors). A ``vendor``-audience template may then read, of the ticket,
    its id and the fields every vendor shares (a message's recipients come from the action,
    not from a vendor, so it must be fit for any of them): anything else is a load error."""
    shared_fields = _shared_fields(vendor_fields)
    for path in classification:
        _check_classified(path, custom_fields)
    profiles = {
        name: Profile(name, frozenset(spec.redact), spec.placeholder)
        for name, spec in redaction.items()
    }
    compiled_audiences: dict[str, _Audience] = {}
    for name, spec in sorted(audiences.items()):
        compiled_audiences[name] = _audience(name, spec, profiles, directory)
    schema = _schema(clocks, paths, custom_fields)
    compiled: dict[str, CompiledTemplate] = {}
    fields: set[str] = set()
    shared: dict[str, Any] = {} if cache is None else cache
    for name, written in sorted(templates.items()):
        key = repr(
            (
                name,
                written.model_dump(mode="json"),
                tuple(clocks),
                tuple(paths),
                tuple(custom_fields),
            )
        )
        template = shared.get(key)
        if template is None:
            template = compile_template(
                name, written.audience, written.subject, written.body, written.variables, schema
            )
            shared[key] = template
        audience = compiled_audiences.get(written.audience)
        if template.reads_owner and (audience is None or not audience.contacts):
            raise PolicyError(
                f"template {shown(name)} reads 'owner', but audience {shown(written.audience)} "
                "names no point_of_contact (give audiences."
                f"{written.audience}.point_of_contact)",
                path=("templates", name, "body"),
            )
        if written.audience == "vendor" and shared_fields is not None and vendor_fields:
            _check_vendor_template(name, written.variables, shared_fields, vendor_fields)
        fields.update(v.split(".")[2] for v in written.variables if v.startswith("ticket.fields."))
        compiled[name] = template
    named = set(custom_fields).union(*(t.fields for t in compiled.values()))
    unnamed = tuple(
        path
        for path in sorted(classification)
        if path.startswith("fields.") and path[len("fields.") :] not in named
    )
    cadenced = []
    for name, spec in sorted(audiences.items()):
        where = ("audiences", name)
        if spec.template is not None:
            found = compiled.get(spec.template)
            if found is None:
                raise PolicyError(
                    f"unknown template {shown(spec.template)}",
                    path=(*where, "template"),
                    suggestion=suggest(spec.template, compiled),
                )
            if found.audience != name:
                raise PolicyError(
                    f"template {shown(spec.template)} is written for audience "
                    f"{shown(found.audience)}, not {shown(name)}",
                    path=(*where, "template"),
                )
        for i, target in enumerate(spec.to):
            if target not in _NOTIFY_SPECIAL:
                directory.check_target(target, (*where, "to", i))
        if not spec.cadence:
            continue
        cadence: dict[str, timedelta] = {}
        for priority, text in sorted(spec.cadence.items()):
            at = (*where, "cadence", priority)
            if priorities is not None and priority not in priorities:
                raise PolicyError(
                    f"{shown(priority)} is not a canonical priority (known: "
                    f"{', '.join(priorities)})",
                    path=at,
                    suggestion=suggest(priority, priorities),
                )
            delta = parse_duration(text, at, allow_business_days=False).delta
            if delta <= timedelta(0):
                raise PolicyError(f"a cadence must be longer than zero, got {shown(text)}", path=at)
            cadence[priority] = delta
        if not spec.to:
            raise PolicyError(
                "an audience with a cadence needs 'to': who its updates go to",
                path=(*where, "cadence"),
            )
        cadenced.append(
            AudienceDef(
                name=name,
                cadence=cadence,
                targets=tuple(spec.to),
                details={"channel": spec.channel, "template": spec.template, "audience": name},
            )
        )
    comms = Comms(
        templates=compiled,
        classification=classification,
        audiences=compiled_audiences,
        directory=directory,
        policy=policy,
        fields=tuple(sorted(fields)),
        unnamed_fields=unnamed,
        vendor_fields=None if shared_fields is None else tuple(sorted(shared_fields)),
    )
    return comms, tuple(cadenced)


def _shared_fields(vendor_fields: Mapping[str, Sequence[str]] | None) -> set[str] | None:
    """The fields every vendor's ``data_sharing`` lists (``None``: no vendors)."""
    if not vendor_fields:
        return None
    lists = [set(fields) for _, fields in sorted(vendor_fields.items())]
    return set.intersection(*lists)


_CUSTOMER = ("customer.id", "customer.tier", "customer.vip")


def _check_vendor_template(
    name: str,
    variables: Sequence[str],
    shared: set[str],
    vendor_fields: Mapping[str, Sequence[str]],
) -> None:
    """A vendor template reads of the ticket only its id and the fields every vendor shares
    (docs/vendors.md, "Data sharing"): a variable covering anything else is a load error."""
    for i, variable in enumerate(variables):
        head, _, rest = variable.partition(".")
        if head != "ticket" or rest == "id":
            continue
        if rest == "customer":
            covered: tuple[str, ...] = _CUSTOMER
        elif rest in ("", "fields"):
            covered = ("<every field>",)
        else:
            covered = (rest,)
        unshared = [f for f in covered if f not in shared]
        if not unshared:
            continue
        missing = sorted(v for v, fields in vendor_fields.items() if unshared[0] not in fields)
        raise PolicyError(
            f"template {shown(name)} is for the vendor audience and reads {variable!r}, but "
            + (
                "a vendor may receive only the ticket's id and the fields its data_sharing lists"
                if covered == ("<every field>",)
                else f"the data_sharing of vendor(s) {', '.join(missing)} does not list "
                f"{unshared[0]!r}"
            )
            + ": a vendor message shows only what every vendor's agreement shares (list it in "
            "each vendors.<id>.data_sharing.fields, or leave it out of the template; "
            "docs/vendors.md, 'Data sharing')",
            path=("templates", name, "variables", i),
        )


def _check_classified(path: str, custom_fields: Sequence[str]) -> None:
    if path in CLASSIFIABLE:
        return
    if path.startswith("fields.") and len(path) > len("fields."):
        name = path[len("fields.") :]
        if custom_fields and name not in custom_fields:
            # fail closed: a misspelt field would leave the real one unredacted
            found = suggest(name, custom_fields)
            raise PolicyError(
                f"{shown(path)}: the policy declares custom_fields, and {shown(name)} is not "
                f"one of them (custom fields: {', '.join(custom_fields)}); a classification "
                "of a field tickets do not have redacts nothing",
                path=("classification", path),
                suggestion=None if found is None else f"fields.{found}",
            )
        return
    raise PolicyError(
        f"{shown(path)} is not a ticket field a classification can name (fields: "
        f"{', '.join(CLASSIFIABLE)}, fields.<custom field>)",
        path=("classification", path),
        suggestion=suggest(path, CLASSIFIABLE),
    )


def _audience(
    name: str, spec: AudienceSpec, profiles: Mapping[str, Profile], directory: Directory
) -> _Audience:
    where = ("audiences", name)
    external = spec.external if spec.external is not None else name in EXTERNAL_AUDIENCES
    if spec.redaction is None:
        profile = Profile.default(name)
    else:
        found = profiles.get(spec.redaction)
        if found is None:
            raise PolicyError(
                f"unknown redaction profile {shown(spec.redaction)} (profiles: "
                f"{', '.join(sorted(profiles)) or 'none declared'})",
                path=(*where, "redaction"),
                suggestion=suggest(spec.redaction, profiles),
            )
        profile = found
    contacts = spec.point_of_contact
    listed = [] if contacts is None else [contacts] if isinstance(contacts, str) else contacts
    for i, contact in enumerate(listed):
        at = (
            (*where, "point_of_contact")
            if isinstance(contacts, str)
            else (
                *where,
                "point_of_contact",
                i,
            )
        )
        if contact != "assignee":
            directory.check_target(contact, at, _CONTACT_KINDS)
    if external and not listed:
        raise PolicyError(
            f"audience {shown(name)} is external: it needs a point_of_contact (one owner "
            "who speaks for us: 'assignee', 'role:<role>' or 'person:<id>')",
            path=where,
        )
    return _Audience(name, profile, external, tuple(listed))
