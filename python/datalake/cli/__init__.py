"""The ``datalake`` command line: a click group, also mountable in other click CLIs.

::

    datalake sync --all                       # what cron runs
    datalake status                           # the morning glance
    quants-infra data-lake sync cex_ticks     # after cli.add_command(data_lake, name="data-lake")

Exit codes: 0 ok; 1 a sync or cleanup failed or was partial (or a connection
test failed); 2 bad usage or config, unknown profile included; 3 the profile
is locked by another run; 130 interrupted (Ctrl-C, SIGINT); 143 terminated
(SIGTERM: ``kill``, ``timeout``, ``systemctl stop``; the ``datalake`` program
stops its run as cleanly as on Ctrl-C). Errors are one line on stderr,
never a traceback (``-vv`` adds one for internal errors). ``--format json``
prints exactly one JSON document on stdout, built from the core's own
serialization (the same fields as the library's ``to_dict()`` and the C ABI).
Progress goes to stderr: a bar on a terminal, timestamped plain lines otherwise.
``-q`` drops the informational lines only: warnings and errors still go to stderr.

Modules: ``_group`` (the group and :func:`main`; it imports a command's
module when the command is used), ``_common`` (the options and error handling
every command shares), and one module per family of commands: ``config``
(validate, test-connection), ``sync``, ``lake_info`` (stats, status),
``cleanup``, ``quality`` (verify, coverage), ``monitoring`` (metrics, the
health check of ``status --max-age``), ``files`` (the catalog of a selection). Progress: :mod:`datalake._progress`.
"""

from datalake.cli._group import data_lake, main

__all__ = ["data_lake", "main"]
