"""Record and replay the calls a check makes to a student's function.

``bplib.course.feedback.call_student`` asks :func:`current` for a session. In the sandbox a
:class:`Recorder` calls the student's function and writes down (as plain data, see
``bplib.course.answers``) the inputs, the inputs' state after the call, and the answer or the
exception. Outside, a :class:`Replayer` answers the same check's calls from that record after
checking that the inputs are the ones recorded, so the check's own comparison, and its
feedback, run in a process where no student code ever ran.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bplib.course.answers import Decoder, Encoder, restore, restore_nodes, same

_SESSION: ContextVar[Any] = ContextVar("bplib_course_session", default=None)
MAX_CALLS = 2_000
_EVALUE_CHARS = 2_000


def current() -> Recorder | Replayer | None:
    """The active record/replay session of this thread, or None (plain calls)."""
    return _SESSION.get()


@contextlib.contextmanager
def active(session: Recorder | Replayer) -> Iterator[None]:
    """Make ``session`` the one ``call_student`` and ``passed`` use inside the block."""
    token = _SESSION.set(session)
    try:
        yield
    finally:
        _SESSION.reset(token)


class AnswerMissing(BaseException):
    """The judge asked for an answer the sandbox did not record (a BaseException: checks never
    catch it)."""


class Interrupted(BaseException):
    """The recorded call was interrupted by the time limit."""


class StudentError(Exception):
    """An exception the student's function raised in the sandbox, rebuilt by name and message."""


@dataclass
class Bundle:
    """Encoded data with its arrays and Value nodes (what one side of a call recorded)."""

    data: Any
    arrays: list[np.ndarray] = field(default_factory=list)
    nodes: list[dict] = field(default_factory=list)


def bundle(encoder: Encoder, data: Any) -> Bundle:
    """Pack an encoder's arrays and nodes with ``data``."""
    return Bundle(data, encoder.arrays, encoder.nodes)


@dataclass
class Call:
    """One recorded call: name, inputs before, inputs after plus the result, or the exception."""

    name: str
    pre: Bundle
    post: Bundle | None = None
    raised: tuple[str, str] | None = None
    used: bool = False


class Recorder:
    """Calls the student's function for real and records each call (in the sandbox)."""

    def __init__(self, names: dict[int, str]) -> None:
        self.names = names
        self.calls: list[Call] = []
        self.messages: list[str] = []

    def call(self, fn: Any, args: tuple, kwargs: dict, name: str | None = None) -> Any:
        """Call ``fn``; record inputs, answer (or exception) and the inputs' state after."""
        student = self.names.get(id(fn)) or name or str(getattr(fn, "__name__", "function"))
        pre = Encoder()
        data = pre.enc([list(args), dict(kwargs)])
        record = Call(student, bundle(pre, data))
        if len(self.calls) < MAX_CALLS:
            self.calls.append(record)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            record.raised = (type(exc).__name__, str(exc)[:_EVALUE_CHARS])
            post = Encoder()
            record.post = bundle(post, [post.enc(list(args)), None])
            raise
        post = Encoder()
        after = post.enc(list(args))
        record.post = bundle(post, [after, post.enc(result)])
        return result


class StudentFunction:
    """Stands for a student's function in the judge: calling it replays the recorded answer."""

    def __init__(self, name: str, session: Replayer) -> None:
        self.__name__ = self.__qualname__ = name
        self._session = session

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<function {self.__name__}>"


class Replayer:
    """Answers a check's calls from a record, after checking that the inputs match it."""

    def __init__(self, calls: list[Call]) -> None:
        self.calls = calls
        self.messages: list[str] = []

    def print(self, *values: Any, sep: str = " ", end: str = "\n", **_: Any) -> None:
        """``print`` for a check cell run by the judge: the text becomes the verdict message."""
        self.messages.append(sep.join(str(v) for v in values) + end)

    def _find(self, name: str, pre: Encoder, data: Any) -> Call:
        candidates = [c for c in self.calls if c.name == name and not c.used]
        for record in candidates:
            if same(data, record.pre.data, pre.arrays, record.pre.arrays) and \
                    same(pre.nodes, record.pre.nodes, [], []):
                return record
        if candidates:
            raise AnswerMissing(f"the check called {name} with inputs other than those the "
                                "notebook's run recorded (the recorded answers do not fit)")
        raise AnswerMissing(f"the notebook's run recorded no answer of {name} for this check")

    def call(self, fn: Any, args: tuple, kwargs: dict, name: str | None = None) -> Any:
        """The recorded answer of ``fn(*args, **kwargs)``; arguments get their after-call state."""
        if not isinstance(fn, StudentFunction):
            return fn(*args, **kwargs)
        pre = Encoder()
        data = pre.enc([list(args), dict(kwargs)])
        record = self._find(fn.__name__, pre, data)
        record.used = True
        if record.post is None:
            raise AnswerMissing(f"the run stopped inside {fn.__name__} before it answered")
        after, result = record.post.data
        decoder = Decoder(record.post.arrays, record.post.nodes, pre.node_objs)
        restore_nodes(record.post.nodes[:len(pre.node_objs)], pre.node_objs)
        if type(after) is dict and len(after.get("v", [])) == len(args):
            for actual, state in zip(args, after["v"], strict=True):
                restore(actual, state, decoder)
        if record.raised is not None:
            raise rebuild_exception(*record.raised)
        return decoder.dec(result)


def rebuild_exception(ename: str, evalue: str) -> BaseException:
    """The exception to raise in the judge for one the student's function raised."""
    if ename == "NotImplementedError":
        return NotImplementedError(evalue)
    if ename == "AssertionError":
        return AssertionError(evalue)
    if ename == "KeyboardInterrupt":
        return Interrupted("the check did not finish within the time limit")
    cls = type(ename if ename.isidentifier() else "Error", (StudentError,), {})
    return cls(evalue)
