"""The loop's pages: screening and recognition (staff), notices and reports (officers and staff), bulletins."""

from .bulletins import *  # noqa: F403
from .rectification import *  # noqa: F403
from .screening import *  # noqa: F403
