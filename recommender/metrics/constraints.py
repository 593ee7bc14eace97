"""Hard-constraint violations, checked one activity at a time.

This restates CONTRACT §3 (and `profiles.Constraints`) on purpose instead of calling the
ranker's vectorised filter: an audit that shared the ranker's code could not catch its bugs.
A test keeps the two in agreement.
"""

from __future__ import annotations

from recommender.activities import Activity
from recommender.profiles import Constraints


def violates(activity: Activity, constraints: Constraints) -> bool:
    """Whether the activity breaks a hard constraint; an unknown duration or cost breaks any
    limit on it, as it cannot be shown to meet one."""
    c = constraints
    if c.formats is not None and activity.format not in c.formats:
        return True
    if c.max_duration_hours is not None and (
        activity.duration_hours is None or activity.duration_hours > c.max_duration_hours
    ):
        return True
    return c.max_cost is not None and (activity.cost is None or activity.cost > c.max_cost)
