"""The core: where dates are computed. Pure: no file, no clock, no English.

:func:`dosecal.core.expand.expand` turns a Schedule and a Plan into a Course: the cycle calendar
(:mod:`~dosecal.core.cycles`), the occurrences of each part (:mod:`~dosecal.core.build`,
:mod:`~dosecal.core.infusion`, :mod:`~dosecal.core.premedication`, made through the
:class:`~dosecal.core.builder.Builder`), doses per m² (:mod:`~dosecal.core.dosing`) and the
plan's history of adjustments (:mod:`~dosecal.core.history`). It uses the model and the words.
"""
