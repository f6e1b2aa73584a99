"""The model: what a schedule, a plan and its events are, as immutable values that know no I/O.

A :class:`~dosecal.model.schedule.Schedule` (a regimen as a label gives it), a
:class:`~dosecal.model.plan.Plan` (one patient's use of it, with the adjustments of
:mod:`dosecal.model.adjustments`), an :class:`~dosecal.model.occurrence.Occurrence` (one dated
event), the :class:`~dosecal.model.slot.CycleSlot` of each planned cycle and the
:class:`~dosecal.model.course.Course` every output is rendered from; the bounds every value is
held to (:mod:`dosecal.model.limits`) and wall-clock time in a zone (:mod:`dosecal.model.clock`).
It uses only the words below it.
"""
