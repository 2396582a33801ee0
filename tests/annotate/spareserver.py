"""What the spare managed server (``spare_doccano_server`` in conftest.py) is started with,
and a look at its processes in /proc."""

from __future__ import annotations

from pathlib import Path

from goldwire.annotate import settings
from goldwire.annotate.server_processes import _proc_stat

#: What the spare server's processes must never see (set while it starts).
SPARE_SECRETS = {
    settings.ENV_PASSWORD: "spare-admin-pw-0451",
    settings.ENV_AS_USER_PASSWORD: "spare-as-user-pw-7712",
    settings.ENV_REVIEWER_PASSWORD: "spare-reviewer-pw-3390",
    "EMAIL_HOST_PASSWORD": "spare-mail-pw-9921",
}
SPARE_PUBLIC_HOST = "annotate.example.org"


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _proc_stat(int(entry.name))
            if fields and fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
                members.append(int(entry.name))
    return members
