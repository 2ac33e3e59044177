"""Run one grading job under bubblewrap, with resource limits and its own unprivileged user.

The sandbox sees: a read-only view of ``/usr``, the Python installation, the virtual
environment and the ``bplib`` package; a private ``/tmp``; its own ``/proc`` (its own pid
namespace: no grader process is visible); only a loopback network; and ``/job``, the job's
folder holding this submission's notebook (hidden tests removed), the harvest plan and
``out/``. Not the other submissions, not the instructor's notebooks, not the gradebook.

Limits are set by a small launcher (``setrlimit``, then ``exec bwrap``): CPU seconds, address
space, file size, and, for the job's own user, the number of processes; the host adds a wall
time. When the job ends or is killed, bubblewrap's pid namespace goes with it, so every process
the notebook started (also one in a new session) is gone.

As root, the sandbox keeps the host's user namespace and the job drops to a dedicated system
user ``bpgrade<slot>`` (created on demand), because ``RLIMIT_NPROC`` counts processes per user
across the machine; run as an ordinary user, bubblewrap also unshares the user namespace and
the process limit counts that user's processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from time import monotonic

import bplib

USER_PREFIX = "bpgrade"
MAX_SLOTS = 256
# setrlimit then exec: a launcher that needs nothing but the standard library
_LAUNCH = ("import json, os, resource, sys\n"
           "for name, value in json.loads(sys.argv[1]).items():\n"
           "    resource.setrlimit(getattr(resource, name), (value, value))\n"
           "os.execvp(sys.argv[2], sys.argv[2:])\n")


@dataclass(frozen=True)
class Limits:
    """Per-job limits: CPU seconds per process, bytes of memory and files, processes, wall s."""

    cpu_seconds: int = 900
    memory_bytes: int = 2 * 2**30
    file_bytes: int = 256 * 2**20
    processes: int = 256
    wall_seconds: float = 720.0


@dataclass
class JobEnd:
    """How a job's process ended: exit status, whether the wall time ran out, seconds taken."""

    returncode: int | None
    timed_out: bool
    seconds: float

    def reason(self) -> str:
        """One line for the gradebook when the job ended before its answers were recorded."""
        if self.timed_out:
            return f"the grading job was stopped after its {self.seconds:.0f} s wall-time limit"
        code = self.returncode
        number = -code if code is not None and code < 0 else (code - 128 if code and code > 128
                                                                 else None)
        if number is not None and number in signal.valid_signals():
            return (f"the grading job was killed by signal {signal.Signals(number).name} (a "
                    "memory, CPU or process limit, or the notebook's own code)")
        return f"the grading job ended early with exit status {code}"


def bwrap_path() -> str | None:
    """The bubblewrap executable, or None when it is not installed."""
    return shutil.which("bwrap")


def job_user(slot: int) -> tuple[int, int] | None:
    """(uid, gid) of the system user for concurrent job ``slot``; None unless we are root."""
    if os.geteuid() != 0:
        return None
    name = f"{USER_PREFIX}{slot}"
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--user-group",
                        "--shell", "/usr/sbin/nologin", name], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _slot_folder() -> Path:
    # one folder per machine, whatever TMPDIR says: the job users it guards are machine-wide
    folder = Path("/tmp", f"bplib-grade-slots-{os.geteuid()}")
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if not folder.is_dir() or folder.is_symlink() or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise ValueError(f"grade: {folder} is not a private folder of this user; remove it.")
    return folder


@contextlib.contextmanager
def claim_slot() -> Iterator[int]:
    """A job slot (hence job user) no other grading process of this machine holds meanwhile.

    Slots are ``flock``-ed files, so local threads, ``--jobs`` runs and cluster workers on one
    host never hand two running jobs the same user; a process that dies releases its lock.
    """
    folder = _slot_folder()
    for slot in range(MAX_SLOTS):
        fd = os.open(folder / f"{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield slot
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return
    raise RuntimeError(f"grade: all {MAX_SLOTS} job slots of this machine are busy")


def _read_only_paths() -> list[Path]:
    package = Path(bplib.__file__).resolve().parent
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix), package}
    return sorted(p for p in paths if p.exists())


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/", name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ("ld.so.cache", "localtime", "fonts", "alternatives"):
        if Path("/etc", name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return args


def _parents(paths: list[Path]) -> list[str]:
    """``--dir`` arguments (mode 0755) for every folder above the bind targets."""
    made: list[str] = []
    for path in paths:
        for parent in reversed(path.parents):
            text = str(parent)
            if text not in ("/", "/usr", "/tmp") and not text.startswith("/usr/") and text not in made:
                made.append(text)
    return [arg for text in made for arg in ("--perms", "0755", "--dir", text)]


def bwrap_command(job: Path, user: tuple[int, int] | None) -> list[str]:
    """The bubblewrap command line running ``bplib.course.worker`` on ``job`` (seen as /job)."""
    ro = _read_only_paths()
    cmd = [bwrap_path() or "bwrap", "--die-with-parent", "--new-session"]
    if user is None:
        cmd += ["--unshare-all"]
    else:  # root: no user namespace, so the job runs as a real unprivileged user
        cmd += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    # The private /tmp comes first: bubblewrap applies its arguments in order, and a tmpfs mounted
    # after the binds would hide an environment or a clone that lives under /tmp.
    cmd += ["--perms", "1777", "--tmpfs", "/tmp"]
    cmd += _system_binds() + _parents(ro)
    for path in ro:
        cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--bind", str(job), "/job", "--chdir", "/job", "--clearenv",
            "--setenv", "PATH", f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin",
            "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp",
            "--setenv", "MPLBACKEND", "Agg", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
            "--setenv", "OPENBLAS_NUM_THREADS", "1", "--setenv", "OMP_NUM_THREADS", "1",
            "--setenv", "JUPYTER_PLATFORM_DIRS", "1",
            str(Path(sys.prefix) / "bin" / "python"), "-m", "bplib.course.worker", "/job"]
    if user is not None:
        cmd += ["--uid", str(user[0]), "--gid", str(user[1])]
    return cmd


def plain_command(job: Path) -> list[str]:
    """The worker without a sandbox (``--no-sandbox``): limits only, the caller's permissions."""
    return [sys.executable, "-m", "bplib.course.worker", str(job)]


def _rlimits(limits: Limits, user: tuple[int, int] | None, sandboxed: bool) -> dict[str, int]:
    values = {"RLIMIT_CPU": int(limits.cpu_seconds), "RLIMIT_AS": int(limits.memory_bytes),
              "RLIMIT_FSIZE": int(limits.file_bytes), "RLIMIT_CORE": 0}
    if user is not None:
        values["RLIMIT_NPROC"] = int(limits.processes)
    elif sandboxed:  # the caller's own user: count what it already runs
        values["RLIMIT_NPROC"] = int(limits.processes) + _threads_of(os.getuid())
    return values


def _threads_of(uid: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)]:
            count += int(fields.get("Threads", "1").strip() or 1)
    return count


def kill_user_processes(uid: int) -> int:
    """SIGKILL every process left running as the job user ``uid``; returns how many."""
    killed = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
        except (OSError, ProcessLookupError):
            continue
    return killed


def prepare_job_dir(job: Path, user: tuple[int, int] | None) -> None:
    """Make ``job/out`` and give the job folder to the job user (mode 0700)."""
    (job / "out").mkdir(parents=True, exist_ok=True)
    if user is not None:
        for path in (job, job / "out", *job.iterdir()):
            os.chown(path, *user)
    os.chmod(job, 0o700)


def run_job(job: Path, *, limits: Limits, user: tuple[int, int] | None,
            sandboxed: bool = True) -> JobEnd:
    """Run the worker on ``job`` under the sandbox (or without it); wait at most the wall time."""
    prepare_job_dir(job, user)
    inner = bwrap_command(job, user) if sandboxed else plain_command(job)
    cmd = [sys.executable, "-S", "-c", _LAUNCH, json.dumps(_rlimits(limits, user, sandboxed)),
           *inner]
    start = monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True,
                            cwd=str(job) if not sandboxed else "/")
    timed_out = False
    try:
        proc.wait(timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        if proc.poll() is None or not sandboxed:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()
        if user is not None:
            kill_user_processes(user[0])
    return JobEnd(proc.returncode, timed_out, monotonic() - start)
