"""Audience communication: templates, redaction and messages, rendered on request.

Stage ``comms`` sits between the engine and the policy compiler: the compiler builds a
:class:`~escalate.comms.messages.Comms` from a policy's ``classification:``, ``redaction:``,
``templates:`` and ``audiences:`` sections, and the compiled policy renders with it
(:meth:`escalate.Policy.messages`, :meth:`escalate.Policy.export`). The engine never imports
this package: a decision carries no rendered text.
"""
