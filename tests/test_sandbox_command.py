"""The bubblewrap command line: its order matters, since bubblewrap applies arguments in turn."""

from __future__ import annotations

from pathlib import Path

from bplib.course.sandbox import bwrap_command


def test_the_private_tmp_is_mounted_before_the_environment_so_a_clone_under_tmp_stays_visible():
    cmd = bwrap_command(Path("/tmp/job"), user=(1000, 1000))
    tmpfs = cmd.index("--tmpfs")
    assert cmd[tmpfs + 1] == "/tmp"
    binds = [i for i, arg in enumerate(cmd) if arg == "--ro-bind"]
    assert binds and all(i > tmpfs for i in binds)
    # /tmp itself is the tmpfs: no --dir may re-create it with other permissions
    dirs = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--dir"]
    assert "/tmp" not in dirs
