"""Answer checks for the chapters' exercises, one module per topic; each defines ``__all__``."""

from bplib.course.checks.gradients import *  # noqa: F403
from bplib.course.checks.algorithm import *  # noqa: F403
from bplib.course.checks.autodiff import *  # noqa: F403
from bplib.course.checks.vanishing import *  # noqa: F403
from bplib.course.checks.optim import *  # noqa: F403
from bplib.course.checks.rnn import *  # noqa: F403
from bplib.course.checks.gradcheck import *  # noqa: F403
from bplib.course.checks.capstone import *  # noqa: F403
