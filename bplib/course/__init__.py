"""Instructor tooling and exercise checks.

Exercise cells call ``bp.course.check_*`` functions; each runs the student's function on seeded
inputs, compares it with bplib's reference, and either prints a success line or raises
``AssertionError`` saying what is wrong and where (see ``bplib.course.feedback``).
``python -m bplib.course release|check|grade`` releases student notebooks and grades submissions.

Grading never trusts the student's kernel: ``harvest`` records, inside a bubblewrap
``sandbox``, what the student's functions return on the checks' inputs (``answers``,
``replay``); ``judge`` replays those answers through the same checks in the grading process,
where no student code runs; ``runner`` and ``grade`` run the jobs and write the gradebook.
"""

from bplib.course.checks import *  # noqa: F403  (the check_* functions exercise cells call)
from bplib.course.feedback import call_student, expect_close, expect_tuple, passed
