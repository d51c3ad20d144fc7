"""The version of escalate: the single source for ``escalate.__version__`` and packaging."""

__version__ = "0.2.0"
