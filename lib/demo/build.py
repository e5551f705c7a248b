"""Deterministic generator of realistic SYNTHETIC Google Forms exports for demos, tests and benchmarks.

Three program years (2023-24, 2024-25, 2025-26) of the Skills Directory Survey, Peer Mentorship Circle
applications, the committee's circle rosters, attendance sheets and end-of-year surveys. Every name and
email is invented. The quirks real exports have (changing question wording, aliases and stray spaces in
the institution cell, repeat submissions, free-text "Other" answers, a BOM, an anonymous survey, a late
application) are put in on purpose so the importer and the UI meet them in the demo. `load` writes them
and imports them into a database, the way users' files go; each form's rows are written by its own module.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .applications import APPLICATION_HEADERS, _applicants, _application_row, _pick_availability
from .outcomes import _outcomes
from .rosters import ATTENDANCE_HEADERS, ROSTER_HEADERS, _attendance, _form_circles
from .survey import SKILLS_HEADERS, _BOM_SKILLS, _skills_rows
from .world import DEFAULT_PEOPLE, _Person, _World, _between_years, _participation, _write_csv

CYCLES = ("2023-24", "2024-25", "2025-26")
# Committees use both download shapes (see lib.imports.answers): the newest year comes as the form's own CSV
# download, the earlier years as the linked Sheet's.
EXPORT_SHAPES = ("sheet", "form")
SHAPES = {"2023-24": "sheet", "2024-25": "sheet", "2025-26": "form"}

# fall year: eligible and on time, "More than 3 years", eligible but late, submits twice, also in the skills survey,
# end-of-year responses
_PMC = {
    2023: dict(eligible=5, ineligible=0, late=0, twice=0, from_survey=1, responses=5),
    2024: dict(eligible=12, ineligible=1, late=1, twice=0, from_survey=2, responses=10),
    2025: dict(eligible=17, ineligible=2, late=1, twice=1, from_survey=2, responses=14),
}


@dataclass(frozen=True)
class DemoFile:
    """One generated export: where it is, what it holds and for which program year."""

    path: Path
    kind: str  # "skills" | "applications" | "rosters" | "attendance" | "outcomes"
    cycle: str  # "2023-24" ...


def write_exports(out_dir: Path, people: int | None = None, seed: int = 2023,
                  shape: str | None = None) -> list[DemoFile]:
    """Write the synthetic Google Forms exports of three program years into out_dir (in SHAPES, or all in one shape)."""
    if shape not in (None, *EXPORT_SHAPES):
        raise ValueError(f"shape must be one of {', '.join(EXPORT_SHAPES)} (got {shape!r})")
    pool = DEFAULT_PEOPLE if people is None else int(people)
    if pool < 10:
        raise ValueError(f"people must be at least 10 (got {pool})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    master = random.Random(seed)
    # Separate streams per stage keep each file stable when another stage's logic changes.
    pool_rng, *stage_rngs = [random.Random(master.getrandbits(64)) for _ in range(1 + 2 * len(CYCLES))]
    world = _World()
    # The PMC never shrinks below the real cohort sizes; larger pools (benchmarks) scale it up.
    scale = max(1.0, pool / DEFAULT_PEOPLE)

    persons, yearly = _participation(pool_rng, world, pool)
    files: list[DemoFile] = []
    last_seen: dict[int, int] = {}
    applied: set[int] = set()
    for number, cycle in enumerate(CYCLES):
        year = 2023 + number
        survey_rng, pmc_rng = stage_rngs[2 * number], stage_rngs[2 * number + 1]
        respondents = yearly[year]
        for index in respondents:
            if index in last_seen:
                _between_years(survey_rng, world, persons[index])
            last_seen[index] = year
        path = out_dir / f"skills_survey_{cycle}.csv"
        rows = _skills_rows(survey_rng, world, year, [persons[i] for i in respondents])
        _write_csv(path, SKILLS_HEADERS[cycle], rows, shape or SHAPES[cycle], bom=cycle in _BOM_SKILLS)
        files.append(DemoFile(path, "skills", cycle))

        early = [i for i in respondents if year - persons[i].start_year <= 3 and i not in applied]
        files.extend(_write_pmc(pmc_rng, world, out_dir, cycle, year, scale, persons, early, applied,
                                shape or SHAPES[cycle]))
    return files


def _write_pmc(
    rng: random.Random,
    world: _World,
    out_dir: Path,
    cycle: str,
    year: int,
    scale: float,
    persons: list[_Person],
    early: list[int],
    applied: set[int],
    shape: str,
) -> list[DemoFile]:
    """Write the applications, rosters, attendance and end-of-year files of one program year."""
    cfg = {key: round(value * scale) for key, value in _PMC[year].items()}
    applicants = _applicants(rng, world, year, cfg, persons, early, applied)
    entries = [(a.when, seq, _application_row(rng, world, a)) for seq, a in enumerate(applicants)]
    on_time = [a for a in applicants if a.eligible and not a.late]
    early_birds = [a for a in on_time if a.when < datetime(year, 9, 26)]
    for a in rng.sample(early_birds, min(cfg["twice"], len(early_birds))):
        # The second submission changes availability and still arrives before the deadline.
        a.when += timedelta(seconds=rng.randint(3600, 3 * 86400))
        previous = a.availability
        while a.availability == previous:
            a.availability = _pick_availability(rng)
        entries.append((a.when, len(entries), _application_row(rng, world, a)))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    rows = [entry[2] for entry in entries]
    files = []
    path = out_dir / f"pmc_applications_{cycle}.csv"
    _write_csv(path, APPLICATION_HEADERS, rows, shape)
    files.append(DemoFile(path, "applications", cycle))

    circles = _form_circles(rng, on_time)
    path = out_dir / f"circles_{cycle}.csv"
    _write_csv(path, ROSTER_HEADERS, [[name, a.person.email] for name, members in circles for a in members], shape)
    files.append(DemoFile(path, "rosters", cycle))

    attendance, dropouts = _attendance(rng, year, scale, circles)
    path = out_dir / f"attendance_{cycle}.csv"
    _write_csv(path, ATTENDANCE_HEADERS, attendance, shape)
    files.append(DemoFile(path, "attendance", cycle))

    path = out_dir / f"end_of_year_{cycle}.csv"
    members = [a for _, group in circles for a in group]
    header, rows = _outcomes(rng, cycle, year, cfg, scale, members, dropouts)
    _write_csv(path, header, rows, shape)
    files.append(DemoFile(path, "outcomes", cycle))
    return files


def load(conn, people: int | None = None, seed: int = 2023, out_dir: Path | None = None,
         report=lambda text: None, shape: str | None = None) -> list:
    """Write the demo exports and import them through lib.imports.batches, the path users' files take."""
    from ..imports import batches
    from ..settings import get_settings

    out_dir = out_dir or get_settings().demo_dir
    report(f"Writing synthetic Google Forms exports to {out_dir} ...")
    results = []
    for demo_file in write_exports(out_dir, people=people, seed=seed, shape=shape):
        # Rosters and attendance sheets carry no timestamps, so they are told their cycle.
        cycle = demo_file.cycle if demo_file.kind in ("rosters", "attendance") else None
        if demo_file.kind == "rosters" and conn.execute(
                "SELECT count(*) FROM circle_drafts WHERE cycle = ? AND status = 'final'",
                [demo_file.cycle]).fetchall()[0][0]:
            report(f"  {demo_file.path.name}: {demo_file.cycle} already has final circles, left as they are")
            continue
        result = batches.import_file(conn, demo_file.path, kind=demo_file.kind, cycle=cycle, actor="demo")
        if result.errors:
            raise RuntimeError(f"demo file {demo_file.path.name} did not import: {result.errors[0]}")
        report(f"  {demo_file.path.name}: {result.rows} rows, {result.new} new, {result.updated} updated, "
               f"{result.unchanged} unchanged")
        results.append(result)
    return results
