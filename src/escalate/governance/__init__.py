"""Governance tools over many decisions: vendor performance (:mod:`escalate.governance.vendors`).

Pure functions: decisions (or tickets decided by a policy) in, reports out; no clock reads.
"""
