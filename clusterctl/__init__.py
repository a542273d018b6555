"""clusterctl: a command-line tracker of funding-call deadlines."""

__version__ = "0.1.0"
