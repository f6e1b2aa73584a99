"""Local regimens: definitions a clinic imported into the plan store, and the plans made of them.

The agency's abiraterone regimen (tests/fhir/PlanDefinition-52451000210102.json) is imported as
``dosecal fhir import`` reads it, kept with who imported it and what it came from; a plan made of
it in Pacific/Auckland from Monday 2027-01-04 has abiraterone 1000 mg at 08:00 +13:00. A new
version of the regimen is offered to every plan made of it, as a changed built-in is. Each test
runs on SQLite and on a real PostgreSQL (the ``database`` fixture).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from icalendar import Calendar

from dosecal.cli import main
from dosecal.errors import DefinitionError, FhirError, StoreError
from dosecal.service import regimens
from dosecal.service.database import database_url, upgrade
from dosecal.service.store import Store

ROOT = Path(__file__).resolve().parents[1]
FHIR = ROOT / "tests" / "fhir"
ABIRATERONE = FHIR / "PlanDefinition-52451000210102.json"
ALECTINIB = FHIR / "PlanDefinition-52331000210102.json"
IN_PARTS = FHIR / "PlanDefinition-60071000210106.json"
#: The id ``dosecal fhir import`` gives the abiraterone regimen (from its title).
ABI = "gu-pros-castration-resistant-metastatic-abiraterone-and-dexa"
#: What the review and ``store upgrade`` say of the first dose when the default time becomes 09:00.
FIRST_MOVE = "moves: Day 1 Abiraterone 1000 mg: Mon 4 Jan 2027 08:00 → Mon 4 Jan 2027 09:00"


Run = Callable[..., Result]


@pytest.fixture
def dosecal(database: str) -> Run:
    """The command line on this test's database, migrated from empty."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env={"DOSECAL_DB": database})

    assert run("db", "upgrade").exit_code == 0
    return run


@pytest.fixture
def store(database: str) -> Iterator[Store]:
    """A migrated plan store."""
    upgrade(database_url(database))
    s = Store(database_url(database))
    yield s
    s.close()


def abiraterone_plan(regimen: str = ABI) -> str:
    """A plan file of the regimen from Monday 2027-01-04 in Pacific/Auckland."""
    return f'schedule = "{regimen}"\nstart = 2027-01-04\ntimezone = "Pacific/Auckland"\n'


def later_default_time(definition: str) -> str:
    """The definition with abiraterone's default time at 09:00 instead of 08:00."""
    changed = definition.replace('[agents.abiraterone]\nname = "Abiraterone"\nroute = "oral"\ntimes = ["08:00"]',
                                 '[agents.abiraterone]\nname = "Abiraterone"\nroute = "oral"\ntimes = ["09:00"]')  # fmt: skip
    assert changed != definition
    return changed


def first_dose(calendar: bytes, summary: str) -> str:
    """The start of the first event called ``summary``, as an ISO date and time with its offset."""
    events = [e for e in Calendar.from_ical(calendar).walk("VEVENT") if str(e["summary"]) == summary]
    assert events, summary
    return str(min(e.decoded("dtstart") for e in events).isoformat())


def rows(database: str) -> int:
    """How many versions of local regimens the database holds."""
    engine = sa.create_engine(database_url(database))
    with engine.connect() as c:
        count = c.execute(sa.text("SELECT count(*) FROM regimens")).scalar_one()
    engine.dispose()
    return int(count)


def test_a_fhir_regimen_is_kept_with_what_it_came_from_who_imported_it_and_the_report(store: Store) -> None:
    prepared = regimens.read(ABIRATERONE.read_bytes(), "PlanDefinition-52451000210102.json")
    kept, new = store.regimens.add(prepared, who="boss")
    assert new and kept.version == 1 and kept.id == ABI
    assert kept.title == "GU PROS Castration resistant Metastatic - abiraterone and dexamethasone"
    assert kept.kind == "fhir" and kept.file == "PlanDefinition-52451000210102.json"
    assert kept.canonical == "https://fhir.nzf.org.nz/fhir/PlanDefinition/52451000210102|1.0.0"
    assert kept.part is None and kept.who == "boss" and kept.report == ()
    assert kept.source == (
        "GU PROS Castration resistant Metastatic - abiraterone and dexamethasone, version 1.0.0, "
        "New Zealand Medicines Formulary LP (FHIR PlanDefinition)"
    )
    assert kept.definition == prepared.definition
    assert kept.definition.startswith("# Imported by 'dosecal fhir import' from the FHIR PlanDefinition")
    # What a PlanDefinition leaves out is kept with it, one line each, as 'fhir import' prints it.
    alectinib, _ = store.regimens.add(regimens.read(ALECTINIB.read_bytes(), "alectinib.json"), who="boss")
    assert len(alectinib.report) == 2
    assert alectinib.report[0].startswith(
        "alectinib.json: action[0].action[1]: loperamide: taken only when needed"
    )
    assert alectinib.report[1].startswith(
        "alectinib.json: action[0].action[2]: domperidone: taken only when needed"
    )
    assert [r.id for r in store.regimens.current()] == [ABI, "lung-nsclc-metastatic-alectinib"]


def test_a_plan_of_a_local_regimen_keeps_its_snapshot_and_names_the_regimen_as_origin(store: Store) -> None:
    store.regimens.add(regimens.read(ABIRATERONE.read_bytes(), "abiraterone.json"), who="boss")
    plan, _ = store.add_text(abiraterone_plan(), source="<test>", label=None, who="nurse")
    assert plan.schedule == ABI
    assert plan.origin == f"regimen:{ABI}"
    assert plan.definition == store.regimens.get(ABI).definition
    calendar = store.calendar(plan.id, 1)
    assert calendar is not None
    assert first_dose(calendar, "Abiraterone 1000 mg") == "2027-01-04T08:00:00+13:00"
    assert first_dose(calendar, "Dexamethasone 500 mcg") == "2027-01-04T08:00:00+13:00"
    assert not store.newer_definition(plan)


def test_a_new_version_is_offered_to_every_plan_made_of_the_regimen_and_applied_by_upgrade(
    store: Store, database: str
) -> None:
    first, _ = store.regimens.add(regimens.read(ABIRATERONE.read_bytes(), "abiraterone.json"), who="boss")
    one, _ = store.add_text(abiraterone_plan(), source="<test>", label=None, who="nurse")
    two, _ = store.add_text(abiraterone_plan(), source="<test>", label=None, who="nurse")
    text = later_default_time(first.definition)
    second, new = store.regimens.add(regimens.read(text.encode(), "abiraterone.toml"), who="boss")
    assert new and second.version == 2 and second.kind == "toml" and second.canonical is None
    assert store.newer_definition(one) and store.newer_definition(two)
    review = store.upgrade(one.id, who="nurse", dry_run=True)
    said = [m.describe() for m in review.moves]
    from dosecal.words import ENGLISH

    assert ENGLISH.text(said[0]) == FIRST_MOVE
    assert len(said) == 90  # every day of the 90 planned, abiraterone only
    done = store.upgrade(one.id, who="nurse")
    assert done.plan.version == 2 and done.plan.definition == text
    assert done.plan.origin == f"regimen:{ABI}"
    assert store.history(one.id)[-1].detail == f"definition from regimen:{ABI} version 2; 90 events differ"
    calendar = store.calendar(one.id, 2)
    assert calendar is not None
    assert first_dose(calendar, "Abiraterone 1000 mg") == "2027-01-04T09:00:00+13:00"
    assert first_dose(calendar, "Dexamethasone 500 mcg") == "2027-01-04T08:00:00+13:00"
    assert not store.newer_definition(store.get(one.id))
    assert store.newer_definition(store.get(two.id))  # the other plan keeps its own until upgraded
    assert rows(database) == 2


def test_the_same_definition_imported_again_adds_no_version(store: Store, database: str) -> None:
    data = ABIRATERONE.read_bytes()
    store.regimens.add(regimens.read(data, "abiraterone.json"), who="boss")
    again, new = store.regimens.add(regimens.read(data, "copy.json"), who="other")
    assert not new and again.version == 1 and again.who == "boss"
    assert rows(database) == 1


def test_a_new_plan_is_made_of_the_version_its_form_showed(store: Store) -> None:
    first, _ = store.regimens.add(regimens.read(ABIRATERONE.read_bytes(), "abiraterone.json"), who="boss")
    store.regimens.add(
        regimens.read(later_default_time(first.definition).encode(), "abiraterone.toml"), who="boss"
    )
    plan, _ = store.add_text(abiraterone_plan(), source="<form>", label=None, who="nurse", regimen_version=1)
    assert plan.definition == first.definition
    assert store.newer_definition(plan)
    with pytest.raises(StoreError, match=f"the local regimen '{ABI}' has no version 3"):
        store.add_text(abiraterone_plan(), source="<form>", label=None, who="nurse", regimen_version=3)


def test_an_id_of_a_built_in_schedule_is_refused_and_nothing_is_stored(store: Store, database: str) -> None:
    data = (ROOT / "schedules" / "imatinib.toml").read_bytes()
    with pytest.raises(DefinitionError) as refused:
        regimens.read(data, "my-imatinib.toml")
    assert str(refused.value).startswith(
        "my-imatinib.toml: schedule.id: 'imatinib' is the id of a built-in schedule, and a local "
        "regimen cannot take a built-in's place"
    )
    forged = regimens.Prepared("imatinib", "Imatinib", "", data.decode(), "toml", "my-imatinib.toml")
    with pytest.raises(DefinitionError, match="'imatinib' is the id of a built-in schedule"):
        store.regimens.add(forged, who="boss")
    assert rows(database) == 0
    # A plan naming imatinib still gets the built-in.
    plan, _ = store.add_text(abiraterone_plan("imatinib"), source="<test>", label=None, who="nurse")
    assert plan.origin == "imatinib"


def test_a_regimen_in_parts_needs_its_part_and_a_refused_part_stores_nothing(
    store: Store, database: str
) -> None:
    data = IN_PARTS.read_bytes()
    assert regimens.parts(data, "gyn.json") == (
        (1, "cISplatin chemoradiation"),
        (2, "cARBOplatin and PACLItaxel"),
    )
    with pytest.raises(FhirError) as asked:
        regimens.read(data, "gyn.json")
    assert str(asked.value) == (
        'gyn.json: action: a regimen in 2 parts; choose one with --part: 1 "cISplatin chemoradiation", '
        '2 "cARBOplatin and PACLItaxel"'
    )
    with pytest.raises(FhirError) as refused:
        regimens.read(data, "gyn.json", part=2)
    said = str(refused.value)
    assert (
        "gyn.json: contained[1].contained[9].dosage[0].doseAndRate[0].doseQuantity: cARBOplatin: a dose by "
        "AUC (area under the curve), which the care team calculates: not mapped"
    ) in said
    assert said.endswith(
        "refused: a calendar without these parts would not be a safe schedule; nothing was written"
    )
    assert rows(database) == 0
    assert regimens.parts(ABIRATERONE.read_bytes(), "abiraterone.json") == ()
    assert regimens.parts((ROOT / "schedules" / "imatinib.toml").read_bytes(), "x.toml") == ()


def test_a_part_asked_of_a_toml_definition_is_refused(store: Store) -> None:
    first, _ = store.regimens.add(regimens.read(ABIRATERONE.read_bytes(), "abiraterone.json"), who="boss")
    with pytest.raises(DefinitionError) as refused:
        regimens.read(first.definition.encode(), "abiraterone.toml", part=2)
    assert str(refused.value) == (
        "abiraterone.toml: part 2 was asked for, but this is a TOML definition: parts are those of a "
        "FHIR regimen in parts"
    )


def test_a_plan_whose_regimen_is_not_in_the_database_says_so(store: Store, database: str) -> None:
    store.regimens.add(regimens.read(ABIRATERONE.read_bytes(), "abiraterone.json"), who="boss")
    plan, _ = store.add_text(abiraterone_plan(), source="<test>", label=None, who="nurse")
    engine = sa.create_engine(database_url(database))
    with engine.begin() as c:
        c.execute(sa.text("DELETE FROM regimens"))
    engine.dispose()
    from dosecal.errors import UnknownScheduleError

    with pytest.raises(UnknownScheduleError, match=f"no local regimen '{ABI}'"):
        store.newer_definition(plan)
    assert store.calendar(plan.id, 1) is not None  # the plan works from its snapshot


def test_the_command_line_imports_a_regimen_makes_a_plan_of_it_and_upgrades_it(
    dosecal: Run, tmp_path: Path
) -> None:
    imported = dosecal("store", "regimens", "import", str(ABIRATERONE), "--by", "boss")
    assert imported.exit_code == 0, imported.output
    assert imported.output == (
        f"local regimen {ABI} imported as version 1: "
        "GU PROS Castration resistant Metastatic - abiraterone and dexamethasone\n"
    )
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(abiraterone_plan(), encoding="utf-8")
    added = dosecal("store", "add", "--plan", str(plan_file), "--by", "nurse")
    assert added.exit_code == 0, added.output
    found = re.search(r"stored plan (\w+) \(version 1\)", added.output)
    assert found, added.output
    plan_id = found.group(1)
    assert f"(definition from regimen:{ABI})" in dosecal("store", "show", plan_id).output
    calendar = tmp_path / "plan.ics"
    assert dosecal("store", "print", plan_id, "-o", str(calendar)).exit_code == 0
    assert first_dose(calendar.read_bytes(), "Abiraterone 1000 mg") == "2027-01-04T08:00:00+13:00"
    # A new version, from a TOML definition: the plan's upgrade applies it.
    definition = dosecal("store", "regimens", "show", ABI, "--definition").output
    assert definition.startswith("# Imported by 'dosecal fhir import'")
    changed = tmp_path / "abiraterone.toml"
    changed.write_text(later_default_time(definition), encoding="utf-8")
    again = dosecal("store", "regimens", "import", str(changed), "--by", "boss")
    assert again.exit_code == 0, again.output
    assert again.output.startswith(f"local regimen {ABI} imported as version 2: ")
    review = dosecal("store", "upgrade", plan_id, "--dry-run")
    assert review.output.splitlines()[0] == FIRST_MOVE
    assert f"plan {plan_id} not changed (--dry-run); 90 events would differ" in review.output
    assert dosecal("store", "upgrade", plan_id, "--by", "nurse").exit_code == 0
    assert dosecal("store", "print", plan_id, "-o", str(calendar)).exit_code == 0
    assert first_dose(calendar.read_bytes(), "Abiraterone 1000 mg") == "2027-01-04T09:00:00+13:00"
    listed = dosecal("store", "regimens", "list").output.splitlines()
    assert len(listed) == 1
    assert re.fullmatch(
        rf"{ABI}  v2   \d{{4}}-\d\d-\d\d \d\d:\d\d UTC  boss  GU PROS Castration resistant Metastatic - "
        "abiraterone and dexamethasone",
        listed[0],
    )
    shown = dosecal("store", "regimens", "show", ABI).output.splitlines()
    assert shown[0] == (
        f"local regimen {ABI}, version 2: GU PROS Castration resistant Metastatic - abiraterone and dexamethasone"
    )
    assert shown[1] == (
        "source: GU PROS Castration resistant Metastatic - abiraterone and dexamethasone, version 1.0.0, "
        "New Zealand Medicines Formulary LP (FHIR PlanDefinition)"
    )
    assert shown[2].startswith("version 2  ") and shown[2].endswith(f"by boss: from the definition {changed}")
    assert shown[3].startswith("version 1  ") and shown[3].endswith(
        f"by boss: from the FHIR PlanDefinition {ABIRATERONE} "
        "(https://fhir.nzf.org.nz/fhir/PlanDefinition/52451000210102|1.0.0)"
    )
    entries = json.loads(dosecal("audit", "--format", "json").output)["entries"]
    imports = [(e["user"], e["client"], e["subject"]) for e in entries if e["action"] == "regimen-import"]
    assert imports == [("boss", "cli", ABI), ("boss", "cli", ABI)]


def test_the_command_line_says_what_it_left_out_and_refuses_what_the_calendar_needs(
    dosecal: Run, tmp_path: Path
) -> None:
    alectinib = dosecal("store", "regimens", "import", str(ALECTINIB))
    assert alectinib.exit_code == 0
    assert (
        f"dosecal: {ALECTINIB}: action[0].action[1]: loperamide: taken only when needed" in alectinib.output
    )
    assert "local regimen lung-nsclc-metastatic-alectinib imported as version 1" in alectinib.output
    same = dosecal("store", "regimens", "import", str(ALECTINIB))
    assert same.output.endswith(
        "local regimen lung-nsclc-metastatic-alectinib has this very definition already (version 1): "
        "nothing was stored\n"
    )
    asked = dosecal("store", "regimens", "import", str(IN_PARTS))
    assert asked.exit_code == 1
    assert asked.output == (
        f'dosecal: {IN_PARTS}: action: a regimen in 2 parts; choose one with --part: 1 "cISplatin '
        'chemoradiation", 2 "cARBOplatin and PACLItaxel"\n'
    )
    refused = dosecal("store", "regimens", "import", str(IN_PARTS), "--part", "2")
    assert refused.exit_code == 1
    assert (
        f"dosecal: {IN_PARTS}: contained[1].contained[9].dosage[0].doseAndRate[0].doseQuantity: cARBOplatin: "
        "a dose by AUC (area under the curve), which the care team calculates: not mapped\n"
    ) in refused.output
    assert "Traceback" not in refused.output
    builtin = dosecal("store", "regimens", "import", str(ROOT / "schedules" / "imatinib.toml"))
    assert builtin.exit_code == 1
    assert "schedule.id: 'imatinib' is the id of a built-in schedule" in builtin.output
    missing = dosecal("store", "regimens", "import", str(tmp_path / "nothing.json"))
    assert (
        missing.output
        == f"dosecal: {tmp_path / 'nothing.json'}: cannot read the file: No such file or directory\n"
    )
    assert dosecal("store", "regimens", "list").output.split()[0] == "lung-nsclc-metastatic-alectinib"
    assert len(dosecal("store", "regimens", "list").output.splitlines()) == 1
    unknown = dosecal("store", "regimens", "show", "nope")
    assert unknown.exit_code == 1
    assert unknown.output == "dosecal: no local regimen 'nope' (see 'dosecal store regimens list')\n"
