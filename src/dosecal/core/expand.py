"""expand(schedule, plan): the pure core that turns a regimen and a start date into a Course.

No I/O and no clock: the same schedule and plan always give the same Course. The pipeline can
be read in the tree: :mod:`dosecal.core.cycles` places the cycles, :mod:`dosecal.core.build` and
:mod:`dosecal.core.infusion` make the occurrences, :mod:`dosecal.core.history` applies the adjustments in
the order recorded, and :mod:`dosecal.model.course` holds the result that every renderer reads.
"""

from __future__ import annotations

from dosecal.core.cycles import plan_horizon, plan_slots
from dosecal.core.history import history
from dosecal.model.adjustments import BodySize
from dosecal.model.course import Course
from dosecal.model.plan import Plan, as_of, final_choices, planned_cycles, weight_bands
from dosecal.model.schedule import Schedule
from dosecal.model.validation import check


def expand(schedule: Schedule, plan: Plan) -> Course:
    """The whole course of ``plan`` on ``schedule``: its cycles, horizon and occurrences.

    Raises:
        PlanError: when the plan does not fit the schedule, or an adjustment contradicts it.
    """
    check(schedule, plan)
    choices = final_choices(schedule, plan)
    sizes = [a for a in plan.adjustments if isinstance(a, BodySize)]
    if sizes:
        # The choices in force after the history: a weight band follows the last weight measured.
        choices = {**choices, **weight_bands(schedule, sizes[-1].weight_kg)}
    slots = tuple(plan_slots(schedule, plan, plan.adjustments, choices))
    return Course(
        schedule=schedule,
        plan=plan,
        zone=plan.tz,
        choices=choices,
        slots=slots,
        horizon=plan_horizon(schedule, as_of(plan, plan.adjustments), slots),
        planned_cycles=planned_cycles(schedule, plan, choices) if schedule.phases else None,
        occurrences=history(schedule, plan),
    )


__all__ = ["Course", "expand"]
