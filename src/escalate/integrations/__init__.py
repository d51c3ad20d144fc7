"""Distributed engines for users past one machine: Dask and Spark run escalate's work.

escalate brings no scheduler of its own. :mod:`escalate.integrations.dask` evaluates a Dask bag
(or dataframe) of tickets and replays a bag of ServiceNow log rows;
:mod:`escalate.integrations.spark` does the same for Spark DataFrames. Both ship the policy to
the workers as its source text (:class:`PolicySource`), compile it once per worker process, and
give results equal to the ones computed in one process: the same decision JSON, byte for byte,
and the same replay summary. A ticket that fails on a worker is a :class:`WorkerError` naming
it. Importing this package needs neither engine; importing its modules needs theirs
(``pip install 'escalate[dask]'`` or ``'escalate[spark]'``). See ``docs/scale.md``.
"""

from __future__ import annotations

from escalate.integrations._worker import PolicySource, WorkerError

__all__ = ["PolicySource", "WorkerError"]
