"""The one error hierarchy: every user-facing failure is a ClusterctlError with an exit code."""

import errno


class ClusterctlError(Exception):
    """Base error; the CLI prints ``error: <message>`` on stderr and exits with ``exit_code``."""

    exit_code = 1


class UsageError(ClusterctlError):
    """A bad value given on the command line (date, duration, zone, id...)."""

    exit_code = 2


class TimeParseError(UsageError, ValueError):
    """Text that is not an unambiguous, valid moment or duration."""


class NotFoundError(ClusterctlError):
    """An unknown call id."""

    exit_code = 3


class ConflictError(ClusterctlError):
    """A change that clashes with what is stored (duplicate id, earlier extension...)."""

    exit_code = 4


class StoreError(ClusterctlError):
    """The store cannot be read or written; the message names the file."""

    exit_code = 5


class LockTimeoutError(StoreError):
    """Another clusterctl process holds the store's lock for too long."""

    exit_code = 6


class UnreadableCallsError(ClusterctlError):
    """Some call files could not be read; every other call was processed and its output written.

    The command printed one ``warning:`` line per file before this error's line.
    """

    exit_code = 9


class DeliveryError(ClusterctlError):
    """E-mail could not be sent."""

    exit_code = 7


class ConfigError(ClusterctlError):
    """The config file is malformed or unsafe."""

    exit_code = 8


#: Not an error: ``import`` wrote what was safe and left conflicting calls alone (said on
#: stderr). Distinct from ConflictError's 4, after which nothing was written, and from every
#: other code (main already gives 9, 10 and 11 other meanings).
CONFLICTS_LEFT = 12


def describe_os_error(exc: OSError) -> str:
    """The reason an OSError gives, in words a user can act on."""
    if exc.errno == errno.EFBIG:
        return "file too large for this system's limits"
    return exc.strerror or str(exc)
