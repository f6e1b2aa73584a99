"""Reading inputs: definitions, plan files and command-line values, checked before any date.

TOML with key paths and line numbers (:mod:`~dosecal.inputs.tomlfile`), capped file reading
(:mod:`~dosecal.inputs.files`), schedule definitions (:mod:`~dosecal.inputs.definitions` and its
parts), plan files (:mod:`~dosecal.inputs.planfile`), options over a plan file
(:mod:`~dosecal.inputs.overrides`, which expands a plan to check an adjustment against it) and the
texts a translator translates (:mod:`~dosecal.inputs.extract`). It uses the core, the model and
the words; every problem becomes an error that names its file, key or line.
"""
