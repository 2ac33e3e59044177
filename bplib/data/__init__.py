"""Small deterministic data sets made in code (seeded), one module per kind of task."""

from bplib.data.classification import *  # noqa: F403
from bplib.data.sequences import *  # noqa: F403
from bplib.data.digits import *  # noqa: F403  (needs scikit-learn only when called)
