"""The one goldwire error hierarchy.

Every error says what went wrong, where (file, document, span, URL) and what to do next, in
one line. Library code raises these; only the CLI turns them into exit codes.
"""

from __future__ import annotations


class GoldwireError(Exception):
    """Base class of every error goldwire raises on purpose."""

    exit_code = 1


class UsageError(GoldwireError):
    """A command was called with options that cannot work together."""

    exit_code = 2


class SettingError(UsageError, ValueError):
    """A setting is out of its range (a threshold, a ratio); raised where the setting is
    built, so library callers may also catch it as a ``ValueError``."""


class OutputError(UsageError):
    """An output path (``--out``) that goldwire may not write: a folder or file it did not
    write, or one that overlaps an input; raised before any work starts."""


class DiskFullError(GoldwireError):
    """The device filled up (ENOSPC, EDQUOT) while goldwire wrote an output; the old output
    is left as it was."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP reached the ``goldwire`` command: raised in the main thread so every
    cleanup that runs on Ctrl-C (``except BaseException``) runs too; the CLI exits with
    128 + ``signum``. Not a GoldwireError: nothing went wrong, the command was stopped."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class InputError(GoldwireError):
    """An input file or record cannot be used; the message names it and the fix."""


class DecodeError(InputError):
    """A file's bytes cannot be decoded as text."""


class ParseError(InputError):
    """A file decodes but its content does not have the expected shape."""


class SchemaError(InputError):
    """A document or annotation does not follow the goldwire schema."""


class SpanError(SchemaError):
    """A span lies outside its text, is empty, or its surface text does not match."""


class DatasetError(GoldwireError):
    """A goldwire dataset on disk is missing, incomplete or of another schema version."""


class MissingDependencyError(GoldwireError):
    """An optional dependency is not installed; the message names the extra to install."""


class ServerError(GoldwireError):
    """A server (Doccano) is unreachable or answered with an error."""


def require(module: str, extra: str):
    """Import an optional dependency or raise a clear MissingDependencyError."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module} is not installed; install it with `pip install 'goldwire[{extra}]'`"
        ) from exc
