"""The skills taxonomy the committee keeps: recognising typed skills, closest-skill hints, members' proposals, edits.

Every edit runs in one transaction, is audited with its before and after values, refuses a stale skill version,
and re-links past answers: a typed 'other' skill that the edited taxonomy now recognises becomes a
person_skills row of its answer, in every program year, and leaves the answer's other_skills.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

import duckdb

from ..db import ConflictError, audit, first, scalar, writing
from ..textmatch import TokenScorer, fold

# Words that say nothing about which skill is meant: "Zine librarianship" shares only "librarianship" with
# "Health sciences librarianship".
GENERIC_WORDS = frozenset({
    "librarianship", "librarian", "librarians", "library", "libraries", "services", "service", "work",
    "a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"})
HINT_MIN = 70       # a skill scoring less (0-100) is no hint: "no close skill" beats a poor guess
HINT_MARGIN = 5     # the best skill must beat the next one by this much to be named the closest
# A typed skill holding a skill's whole name ("Community archives" holds "Archives") hints at it.
HINT_CONTAINED = 0.8
HINTS = 3
DEFAULT_CATEGORY = "Other"
MANY_ANSWERS = 10   # the committee page asks for a confirmation before re-linking more answers than this
MAX_LENGTH = 120
# What must not become a skill name shown in the public directory: a spreadsheet formula or markup.
_FORMULA_LIKE = re.compile(r"^\s*([=+@\t]|-\s*[\d(=+])")
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!][^>]*>")
_PARENTHESISED = re.compile(r"\s*(?P<outside>[^()]*?)\s*\((?P<inside>[^()]*)\)\s*")


# ------------------------------------------------------------------------------------------ recognising

def normalise(text: str) -> str:
    """Fold a skill for comparison: 'Open-Educational Résources' -> 'open educational resources'."""
    return fold(text)


def _parts(text: str) -> tuple[str, str | None, str | None]:
    """The normalised whole of a typed skill, and of 'Name (Alias)' its name and its alias (else None)."""
    match = _PARENTHESISED.fullmatch(text)
    if not match:
        return normalise(text), None, None
    return normalise(text), normalise(match["outside"]) or None, normalise(match["inside"]) or None


def keys(text: str) -> list[str]:
    """Candidate keys of a typed skill: its whole, and for 'Name (Alias)' the name and the alias."""
    return list(dict.fromkeys(part for part in _parts(text) if part))


def _compact(key: str) -> str:
    """A key without spaces, so 'Data viz' meets the alias 'dataviz' and 'e-resources' meets 'eresources'."""
    return key.replace(" ", "")


@dataclass(frozen=True)
class Candidate:
    """An existing skill close to a typed one, with a score from 0 to 100."""

    skill_id: int
    name: str
    score: int


class Index:
    """The taxonomy as recognition keys (names, aliases) and as the vocabulary of closest-skill hints."""

    def __init__(self, rows: list[tuple[int, str, str | None, list[str]]]):
        """Index rows of (id, name, category, aliases); a name wins over an alias, an earlier skill over a later."""
        self.names = {skill_id: name for skill_id, name, _, _ in rows}
        self.categories = {skill_id: category for skill_id, _, category, _ in rows}
        self._keys: dict[str, int] = {}
        for skill_id, name, _, aliases in rows:
            self._keys.setdefault(_compact(normalise(name)), skill_id)
        for skill_id, _, _, aliases in rows:
            for alias in aliases or []:
                self._keys.setdefault(_compact(normalise(alias)), skill_id)
        # A skill named "Name (Alias)" is also found by either part, unless that part belongs to two skills.
        derived: dict[str, set[int]] = {}
        for skill_id, name, _, aliases in rows:
            for text in [name, *(aliases or [])]:
                for part in _parts(text)[1:]:
                    if part:
                        derived.setdefault(_compact(part), set()).add(skill_id)
        for key, owners in derived.items():
            if len(owners) == 1 and key not in self._keys:
                self._keys[key] = next(iter(owners))
        self._scorer = TokenScorer(((skill_id, [name, *(aliases or [])], [category or ""])
                                    for skill_id, name, category, aliases in rows), GENERIC_WORDS,
                                   contained=HINT_CONTAINED)

    @classmethod
    def from_db(cls, conn: duckdb.DuckDBPyConnection) -> Index:
        """Build the index from the skills table."""
        return cls(conn.execute("SELECT id, name, category, aliases FROM skills WHERE NOT proposed ORDER BY id")
                   .fetchall())

    def owner(self, text: str) -> int | None:
        """The skill whose name or alias is this text once normalised, or None."""
        return self._keys.get(_compact(normalise(text)))

    def recognise(self, text: str) -> tuple[int, str] | None:
        """Return (skill id, name) a typed skill means for certain, or None.

        Certain means its whole equals a name or alias once normalised, or, for 'Name (Alias)', both parts name
        the same skill. A part alone is no proof: 'PM (1300-1900)' is a time of day, not Project management.
        """
        whole, outside, inside = _parts(text)
        found = self._keys.get(_compact(whole)) if whole else None
        if found is None and outside and inside:
            found = self._keys.get(_compact(outside))
            if self._keys.get(_compact(inside)) != found:
                found = None
        return None if found is None else (found, self.names[found])

    def candidates(self, text: str, limit: int = HINTS) -> list[Candidate]:
        """The skills closest to a typed one (a recognised skill first, at 100), none scoring under HINT_MIN."""
        recognised = self.recognise(text)
        found = [Candidate(recognised[0], recognised[1], 100)] if recognised else []
        for skill_id, score in self._scorer.rank(text, limit=limit + 1, minimum=HINT_MIN):
            if not recognised or skill_id != recognised[0]:
                found.append(Candidate(skill_id, self.names[skill_id], score))
        return found[:limit]

    def closest(self, text: str) -> str | None:
        """The one skill closest to a typed one, or None when none is close or two are about as close."""
        found = self.candidates(text, limit=2)
        if not found:
            return None
        if found[0].score < 100 and len(found) > 1 and found[0].score - found[1].score < HINT_MARGIN:
            return None
        return found[0].name


def options_with_ids(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
    """Map every lowercased skill name and alias to (skill id, skill name); a name wins over an alias."""
    found: dict[str, tuple[int, str]] = {}
    for skill_id, name, aliases in conn.execute(
            "SELECT id, name, aliases FROM skills WHERE NOT proposed ORDER BY id").fetchall():
        found.setdefault(name.lower(), (skill_id, name))
        for alias in aliases or []:
            found.setdefault(alias.lower(), (skill_id, name))
    return found


def options(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Map every lowercased skill name and alias to its skill."""
    return {key: name for key, (_, name) in options_with_ids(conn).items()}


def dismissed_keys(conn: duckdb.DuckDBPyConnection) -> set[str]:
    """The keys of typed skills the committee dismissed (they are no longer proposed)."""
    return {row[0] for row in conn.execute("SELECT key FROM skill_dismissals").fetchall()}


def dismissal_key(text: str) -> str:
    """The key a typed skill is dismissed under: every spelling that normalises alike is dismissed with it."""
    return _compact(normalise(text))


# ------------------------------------------------------------------------------------------ reading

class _ProposalRow(NamedTuple):
    text: str
    members: int
    closest: str | None


class Proposal(_ProposalRow):
    """An 'other' answer proposed for the taxonomy, read as (text, members, closest skill or None).

    It also carries `candidates` (up to 3 closest skills with scores), `answers` (survey answers of every
    program year that typed it), `variants` (each spelling that normalises alike) and `recognised` (the
    skill it already names, when it was typed before the taxonomy knew it).
    """

    @classmethod
    def make(cls, text: str, members: int, answers: int, variants: list[str], index: Index) -> Proposal:
        """Build a proposal with its hints from the index."""
        proposal = cls(text, members, index.closest(text))
        proposal.candidates = tuple(index.candidates(text))
        proposal.answers = answers
        proposal.variants = tuple(variants)
        recognised = index.recognise(text)
        proposal.recognised = recognised[1] if recognised else None
        return proposal


def proposals(conn: duckdb.DuckDBPyConnection) -> list[Proposal]:
    """List 'other' skills from members' latest answers, most members first, leaving out dismissed ones."""
    typed = [row[0] for row in conn.execute(
        "SELECT DISTINCT unnest(other_skills) FROM survey_responses").fetchall()]
    dismissed = dismissed_keys(conn)
    mapping = [(value, dismissal_key(value)) for value in typed]
    mapping = [(value, key) for value, key in mapping if key and key not in dismissed]
    if not mapping:
        return []
    rows = conn.execute("""
        WITH mapping AS (SELECT unnest(?::VARCHAR[]) AS value, unnest(?::VARCHAR[]) AS key),
        responses AS (
            SELECT id, person_id, other_skills, row_number() OVER
                (PARTITION BY person_id, cycle ORDER BY submitted_at DESC, id DESC) = 1 AS latest
            FROM survey_responses),
        typed AS (SELECT m.key, t.value, t.id, t.person_id, t.latest
                  FROM (SELECT id, person_id, latest, unnest(other_skills) AS value FROM responses
                        WHERE len(other_skills) > 0) t JOIN mapping m ON m.value = t.value),
        spelling AS (SELECT key, value, count(DISTINCT person_id) FILTER (WHERE latest) AS n
                     FROM typed GROUP BY key, value)
        SELECT k.key, s.shown, k.members, k.answers, s.variants FROM
            (SELECT key, count(DISTINCT person_id) FILTER (WHERE latest) AS members, count(DISTINCT id) AS answers
             FROM typed GROUP BY key) k
            JOIN (SELECT key, first(value ORDER BY n DESC, value) AS shown, list(value ORDER BY value) AS variants
                  FROM spelling GROUP BY key) s ON s.key = k.key
        WHERE k.members > 0""", [[v for v, _ in mapping], [k for _, k in mapping]]).fetchall()
    index = Index.from_db(conn)
    found = [Proposal.make(shown, members, answers, variants, index) for _, shown, members, answers, variants in rows]
    return sorted(found, key=lambda p: (-p.members, p.text))


def dismissals(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str, object]]:
    """List dismissed typed skills: (text, who, when), newest first."""
    return conn.execute("SELECT text, dismissed_by, dismissed_at FROM skill_dismissals"
                        " ORDER BY dismissed_at DESC, text").fetchall()


@dataclass(frozen=True)
class Skill:
    """One skill of the taxonomy as the committee edits it, with how many members list it."""

    id: int
    name: str
    category: str | None
    aliases: tuple[str, ...]
    version: int
    members: int = 0


_SKILLS = """
    WITH latest AS (SELECT id, person_id FROM survey_responses QUALIFY row_number() OVER
                        (PARTITION BY person_id, cycle ORDER BY submitted_at DESC, id DESC) = 1),
    members AS (SELECT ps.skill_id, count(DISTINCT l.person_id) AS n
                FROM person_skills ps JOIN latest l ON l.id = ps.response_id GROUP BY ps.skill_id)
    SELECT s.id, s.name, s.category, s.aliases, s.version, coalesce(m.n, 0)
    FROM skills s LEFT JOIN members m ON m.skill_id = s.id
    WHERE NOT s.proposed"""


def taxonomy(conn: duckdb.DuckDBPyConnection) -> list[Skill]:
    """Every skill with its category, aliases, version and members (people listing it in a latest answer)."""
    rows = conn.execute(_SKILLS + " ORDER BY s.category, s.name").fetchall()
    return [Skill(i, n, c, tuple(a or ()), v, m) for i, n, c, a, v, m in rows]


def matching(found: list[Skill], text: str) -> list[Skill]:
    """The skills whose name, alias or category contains a search text (case, accents and punctuation ignored)."""
    needle = normalise(text or "")
    if not needle:
        return list(found)
    return [s for s in found if needle in normalise(" ".join([s.name, s.category or "", *s.aliases]))]


def categories(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The categories in use, alphabetically."""
    return [row[0] for row in conn.execute(
        "SELECT DISTINCT category FROM skills WHERE category IS NOT NULL ORDER BY 1").fetchall()]


def get(conn: duckdb.DuckDBPyConnection, skill_id: int) -> Skill | None:
    """One skill by id, or None."""
    row = first(conn.execute(_SKILLS + " AND s.id = ?", [skill_id]).fetchall())
    return None if row is None else Skill(row[0], row[1], row[2], tuple(row[3] or ()), row[4], row[5])


def find(conn: duckdb.DuckDBPyConnection, name: str) -> Skill:
    """The skill a name (or, failing that, an alias) means once normalised; ValueError naming close ones if none."""
    index = Index.from_db(conn)
    by_name = {_compact(normalise(n)): i for i, n in index.names.items()}
    skill_id = by_name.get(_compact(normalise(name)))
    if skill_id is None:
        skill_id = index.owner(name)
    if skill_id is None:
        close = [c.name for c in index.candidates(name)]
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(f"No skill named '{name}'.{hint}")
    return get(conn, skill_id)


# ------------------------------------------------------------------------------------------ editing

@dataclass(frozen=True)
class Change:
    """What a taxonomy edit did: the skill it left, and the past answers it re-linked."""

    skill_id: int | None
    name: str
    relinked: int = 0              # survey answers that gained a skill from one of their 'other' answers
    values: tuple[str, ...] = ()   # the typed texts those answers held
    moved: int = 0                 # answers of a merged skill moved to the skill it was merged into


def clean_text(text: str | None, what: str = "A skill") -> str:
    """Trim a name or alias the committee typed; ValueError when empty, too long, formula-like or markup."""
    value = re.sub(r"\s+", " ", text or "").strip()
    if not value or not normalise(value):
        raise ValueError(f"{what} needs some letters or digits.")
    if len(value) > MAX_LENGTH:
        raise ValueError(f"{what} can have at most {MAX_LENGTH} characters.")
    if _FORMULA_LIKE.match(value) or _MARKUP.search(value):
        raise ValueError(f"{what} cannot look like a spreadsheet formula or contain HTML tags: '{value}'.")
    return value


def _lock(conn: duckdb.DuckDBPyConnection, skill_id: int, version: int | None) -> Skill:
    """Read a skill inside the transaction, refusing when it changed since `version` (None: no check)."""
    skill = get(conn, skill_id)
    if skill is None:
        raise ConflictError("This skill no longer exists (merged or removed by someone else). Reload the page.")
    if version is not None and skill.version != version:
        raise ConflictError(f"'{skill.name}' was changed by someone else since you opened it; reload and try again.")
    return skill


def _refuse_taken(index: Index, text: str, own: int | None) -> None:
    """Refuse a name or alias that already names another skill."""
    owner = index.owner(text)
    if owner is not None and owner != own:
        raise ValueError(f"'{text}' already names the skill '{index.names[owner]}'.")


def _aliases(name: str, aliases: list[str]) -> list[str]:
    """Aliases without repeats (once normalised) and without the skill's own name."""
    seen = {_compact(normalise(name))}
    kept = []
    for alias in aliases:
        key = _compact(normalise(alias))
        if key and key not in seen:
            seen.add(key)
            kept.append(alias)
    return kept


def _save(conn: duckdb.DuckDBPyConnection, skill: Skill, **changes) -> None:
    """Write a skill's changed columns and move its version on (inside the caller's transaction)."""
    columns = ", ".join(f"{column} = ?" for column in changes)  # column names come from this module only
    conn.execute(f"UPDATE skills SET {columns}, version = version + 1 WHERE id = ? AND version = ?",
                 [*(list(v) if isinstance(v, tuple) else v for v in changes.values()), skill.id, skill.version])


def _relink(conn: duckdb.DuckDBPyConnection, skill_ids: set[int]) -> tuple[int, tuple[str, ...]]:
    """Link past answers whose typed 'other' skills the taxonomy now recognises as one of these skills.

    Runs inside the caller's transaction; returns (answers changed, typed values re-linked).
    """
    index = Index.from_db(conn)
    typed = [row[0] for row in conn.execute("SELECT DISTINCT unnest(other_skills) FROM survey_responses").fetchall()]
    pairs = [(value, found[0]) for value in typed if (found := index.recognise(value)) and found[0] in skill_ids]
    if not pairs:
        return 0, ()
    values, ids = [v for v, _ in pairs], [i for _, i in pairs]
    # person_skills has no key: insert each pair once, and none that exists already.
    conn.execute("""
        INSERT INTO person_skills (response_id, skill_id)
        SELECT DISTINCT t.id, m.skill_id
        FROM (SELECT id, unnest(other_skills) AS value FROM survey_responses WHERE list_has_any(other_skills, ?)) t
        JOIN (SELECT unnest(?::VARCHAR[]) AS value, unnest(?::INTEGER[]) AS skill_id) m ON m.value = t.value
        WHERE NOT EXISTS (SELECT 1 FROM person_skills ps WHERE ps.response_id = t.id AND ps.skill_id = m.skill_id)""",
                 [values, values, ids])
    changed = scalar(conn, """
        UPDATE survey_responses SET other_skills = list_filter(other_skills, lambda x: NOT list_contains(?, x)),
                                    version = version + 1
        WHERE list_has_any(other_skills, ?)""", [values, values])
    return int(changed or 0), tuple(sorted(values))


def accept_as_skill(conn: duckdb.DuckDBPyConnection, text: str, category: str | None = None, *,
                    name: str | None = None, actor: str = "cli") -> Change:
    """Add a typed skill to the taxonomy (as `name` when given, keeping the typed text as an alias) and re-link it."""
    typed = clean_text(text, "The typed skill")
    final = clean_text(name, "The skill name") if name and name.strip() else typed
    group = clean_text(category, "The category") if category and category.strip() else DEFAULT_CATEGORY
    with writing(conn, "the taxonomy"):
        index = Index.from_db(conn)
        _refuse_taken(index, final, None)
        _refuse_taken(index, typed, None)
        aliases = _aliases(final, [typed])
        skill_id = scalar(conn, "INSERT INTO skills (name, category, aliases) VALUES (?, ?, ?) RETURNING id",
                          [final, group, aliases])
        conn.execute("DELETE FROM skill_dismissals WHERE key IN (?, ?)", [dismissal_key(typed), dismissal_key(final)])
        relinked, values = _relink(conn, {skill_id})
        audit(conn, actor, "skill.add", "skill", skill_id,
              {"typed": typed, "after": {"name": final, "category": group, "aliases": aliases},
               "relinked_answers": relinked, "values": values})
    return Change(skill_id, final, relinked, values)


def accept_as_alias(conn: duckdb.DuckDBPyConnection, text: str, skill_id: int, *, version: int | None = None,
                    actor: str = "cli") -> Change:
    """Make a typed skill an alias of an existing skill and re-link the answers that typed it."""
    typed = clean_text(text, "The alias")
    with writing(conn, "the taxonomy"):
        skill = _lock(conn, skill_id, version)
        index = Index.from_db(conn)
        _refuse_taken(index, typed, skill.id)
        aliases = list(skill.aliases)
        if index.owner(typed) is None:  # an alias the skill already has (once normalised) is not added twice
            aliases = _aliases(skill.name, [*aliases, typed])
            _save(conn, skill, aliases=tuple(aliases))
        conn.execute("DELETE FROM skill_dismissals WHERE key = ?", [dismissal_key(typed)])
        relinked, values = _relink(conn, {skill.id})
        audit(conn, actor, "skill.alias", "skill", skill.id,
              {"typed": typed, "before": {"aliases": list(skill.aliases)}, "after": {"aliases": aliases},
               "relinked_answers": relinked, "values": values})
    return Change(skill.id, skill.name, relinked, values)


def dismiss(conn: duckdb.DuckDBPyConnection, text: str, *, actor: str = "cli") -> None:
    """Stop proposing a typed skill (and its spellings that normalise alike); its answers keep it as typed."""
    key = dismissal_key(text)
    if not key:
        raise ValueError("Nothing to dismiss.")
    with writing(conn, "the taxonomy"):
        if scalar(conn, "SELECT count(*) FROM skill_dismissals WHERE key = ?", [key]):
            raise ValueError(f"'{text}' is dismissed already.")
        conn.execute("INSERT INTO skill_dismissals (key, text, dismissed_by) VALUES (?, ?, ?)", [key, text, actor])
        audit(conn, actor, "skill.dismiss", "skill_dismissal", key, {"before": None, "after": {"text": text}})


def restore(conn: duckdb.DuckDBPyConnection, text: str, *, actor: str = "cli") -> None:
    """Propose a dismissed typed skill again."""
    key = dismissal_key(text)
    with writing(conn, "the taxonomy"):
        row = first(conn.execute("SELECT text, dismissed_by FROM skill_dismissals WHERE key = ?", [key]).fetchall())
        if row is None:
            raise ValueError(f"'{text}' is not dismissed.")
        conn.execute("DELETE FROM skill_dismissals WHERE key = ?", [key])
        audit(conn, actor, "skill.restore", "skill_dismissal", key,
              {"before": {"text": row[0], "dismissed_by": row[1]}, "after": None})


def rename(conn: duckdb.DuckDBPyConnection, skill_id: int, new_name: str, *, version: int | None = None,
           keep_alias: bool = True, actor: str = "cli") -> Change:
    """Rename a skill; its old name stays an alias (unless told otherwise) so typed answers keep matching."""
    final = clean_text(new_name, "The skill name")
    with writing(conn, "the taxonomy"):
        skill = _lock(conn, skill_id, version)
        if final == skill.name:
            raise ValueError(f"'{final}' is the skill's name already.")
        index = Index.from_db(conn)
        _refuse_taken(index, final, skill.id)
        aliases = _aliases(final, [*skill.aliases, *([skill.name] if keep_alias else [])])
        _save(conn, skill, name=final, aliases=tuple(aliases))
        relinked, values = _relink(conn, {skill.id})
        audit(conn, actor, "skill.rename", "skill", skill.id,
              {"before": {"name": skill.name, "aliases": list(skill.aliases)},
               "after": {"name": final, "aliases": aliases}, "relinked_answers": relinked, "values": values})
    return Change(skill.id, final, relinked, values)


def move(conn: duckdb.DuckDBPyConnection, skill_id: int, category: str, *, version: int | None = None,
         actor: str = "cli") -> Change:
    """Move a skill to another (or a new) category."""
    group = clean_text(category, "The category")
    with writing(conn, "the taxonomy"):
        skill = _lock(conn, skill_id, version)
        if group == skill.category:
            raise ValueError(f"'{skill.name}' is in '{group}' already.")
        _save(conn, skill, category=group)
        audit(conn, actor, "skill.move", "skill", skill.id,
              {"before": {"category": skill.category}, "after": {"category": group}})
    return Change(skill.id, skill.name)


def set_aliases(conn: duckdb.DuckDBPyConnection, skill_id: int, aliases: list[str], *, version: int | None = None,
                actor: str = "cli") -> Change:
    """Replace a skill's aliases; answers linked through a removed alias stay linked, new ones re-link."""
    cleaned = [clean_text(alias, "An alias") for alias in aliases if alias and alias.strip()]
    with writing(conn, "the taxonomy"):
        skill = _lock(conn, skill_id, version)
        index = Index.from_db(conn)
        for alias in cleaned:
            _refuse_taken(index, alias, skill.id)
        final = _aliases(skill.name, cleaned)
        _save(conn, skill, aliases=tuple(final))
        relinked, values = _relink(conn, {skill.id})
        audit(conn, actor, "skill.aliases", "skill", skill.id,
              {"before": {"aliases": list(skill.aliases)}, "after": {"aliases": final},
               "relinked_answers": relinked, "values": values})
    return Change(skill.id, skill.name, relinked, values)


def merge(conn: duckdb.DuckDBPyConnection, source_id: int, target_id: int, *, version: int | None = None,
          target_version: int | None = None, actor: str = "cli") -> Change:
    """Merge one skill into another: its answers move over, its name and aliases become aliases, it is removed."""
    if source_id == target_id:
        raise ValueError("A skill cannot be merged into itself.")
    with writing(conn, "the taxonomy"):
        source = _lock(conn, source_id, version)
        target = _lock(conn, target_id, target_version)
        moved = scalar(conn, """SELECT count(DISTINCT response_id) FROM person_skills WHERE skill_id = ?""",
                       [source.id])
        conn.execute("""
            INSERT INTO person_skills (response_id, skill_id)
            SELECT DISTINCT response_id, ? FROM person_skills ps WHERE ps.skill_id = ?
            AND NOT EXISTS (SELECT 1 FROM person_skills t WHERE t.response_id = ps.response_id AND t.skill_id = ?)""",
                     [target.id, source.id, target.id])
        conn.execute("DELETE FROM person_skills WHERE skill_id = ?", [source.id])
        conn.execute("DELETE FROM skills WHERE id = ?", [source.id])
        aliases = _aliases(target.name, [*target.aliases, source.name, *source.aliases])
        _save(conn, target, aliases=tuple(aliases))
        relinked, values = _relink(conn, {target.id})
        audit(conn, actor, "skill.merge", "skill", target.id,
              {"before": {"merged": {"id": source.id, "name": source.name, "category": source.category,
                                     "aliases": list(source.aliases)},
                          "into": {"name": target.name, "aliases": list(target.aliases)}},
               "after": {"name": target.name, "aliases": aliases}, "moved_answers": moved,
               "relinked_answers": relinked, "values": values})
    return Change(target.id, target.name, relinked, values, int(moved or 0))
