"""Skills and institutions: the committee decides on typed skills, keeps the taxonomy and reviews institution names."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import pandas as pd
import streamlit as st

from lib.directory import institutions, skills
from ui import cache, changes, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

me = session.require_committee("Managing the taxonomy")
st.title("Skills and institutions")
st.caption("Decide on the skills members typed as 'Other', keep the skills taxonomy, and tell the importer which "
           "institution a typed name means. Every change re-links past answers of every program year, is recorded "
           "in the audit log, and is used by the next import.")
conn = cache.cursor()
version = cache.data_version(conn)

NOTICE = "taxonomy_notice"
SEEN = "taxonomy_seen"    # the version of each skill or institution as this session first showed it
RESET = "taxonomy_reset"  # after a change: widget values to forget, and to set, at the start of the next run
NEW_SKILL, AS_ALIAS, DISMISS = "Add as a new skill", "Add as an alias of a skill", "Dismiss"
PROPOSAL_KEYS = ("proposal_decision", "proposal_name", "proposal_category", "proposal_new_category",
                 "proposal_alias_of", "proposal_confirm")
EDIT_KEYS = ("rename_name", "rename_keep_alias", "move_category", "move_new_category", "aliases_text", "merge_into",
             "merge_confirm")
INSTITUTION_KEYS = ("inst_target", "inst_confirm")

# Widgets are identified by their key, and the browser keeps showing a widget's value until the server sets a
# new one. So the widgets that depend on a choice are never given defaults as arguments: their keys are
# forgotten when the choice changes and seeded again (through Session State, which the browser follows).
changes.resume(RESET)


def _forget(keys: tuple[str, ...]) -> None:
    """Drop the values of widgets that depend on a choice, so they are seeded again for the new choice."""
    for key in keys:
        st.session_state.pop(key, None)


def _seed(values: dict) -> None:
    """Give widgets their starting values for what is chosen (only where they have none yet)."""
    for key, value in values.items():
        if key not in st.session_state:
            st.session_state[key] = value


def _seen(kind: str, item_id: int, current: int) -> int:
    """The version of an item when this session first showed it (each submit reruns the page and reads again)."""
    return st.session_state.setdefault(SEEN, {}).setdefault(f"{kind}:{item_id}", current)


def _done(message: str, forget: tuple[str, ...] = (), **values) -> None:
    """After a change: forget cached reads and the decided item's widgets, keep the message for the next run."""
    changes.done(message, RESET, NOTICE, (SEEN, *forget), **values)


def _attempt(action) -> tuple[bool, object]:
    """Run one change; a refusal or a stale edit is shown as a clear message instead of failing the page."""
    return changes.attempt(action, SEEN)


def _hints(candidates) -> str:
    """The closest skills of a proposal as one line, or 'no close skill'."""
    return " · ".join(f"{c.name} ({c.score})" for c in candidates) or "no close skill"


def _category(widget_key: str, new_key: str, choices: list[str], where=st) -> str:
    """A category chosen from those in use, or a new one typed beside it (which wins when filled in)."""
    chosen = where.selectbox("Category", choices, key=widget_key)
    typed = where.text_input("…or a new category", key=new_key, placeholder="e.g. Student success")
    return typed.strip() or chosen


notice = st.session_state.pop(NOTICE, None)
if notice:
    st.success(notice, icon=":material/check_circle:")

all_skills = cache.skill_taxonomy(version)
by_name = {s.name: s for s in all_skills}
skill_names = sorted(by_name, key=str.casefold)
category_names = sorted({s.category for s in all_skills if s.category} | {skills.DEFAULT_CATEGORY}, key=str.casefold)


def _proposal_defaults(proposal) -> dict:
    """Where the decision widgets start for a proposal: its closest skill, when there is one."""
    best = proposal.candidates[0].name if proposal.candidates else None
    return {"proposal_decision": AS_ALIAS if best else NEW_SKILL, "proposal_name": "",
            "proposal_category": by_name[best].category if best in by_name else skills.DEFAULT_CATEGORY,
            "proposal_new_category": "", "proposal_alias_of": best, "proposal_confirm": False}


def _decide(chosen, decision: str) -> None:
    """The widgets of one decision on a proposal, and its button."""
    left, right = st.columns(2)
    name = category = alias_of = target_seen = None
    if decision == NEW_SKILL:
        name = left.text_input("Skill name", key="proposal_name", placeholder=chosen.text,
                               help="Leave empty to add it as typed. A different name keeps the typed text as an "
                                    "alias, so its answers still link.")
        category = _category("proposal_category", "proposal_new_category", category_names, right)
    elif decision == AS_ALIAS:
        alias_of = left.selectbox("Alias of", skill_names, index=None, placeholder="Choose a skill",
                                  key="proposal_alias_of")
        if alias_of:
            target_seen = _seen("skill", by_name[alias_of].id, by_name[alias_of].version)
    else:
        left.caption("Dismissed text stays in the answers as typed and is no longer proposed (nor any spelling of "
                     "it that differs only in case, accents or punctuation).")
    ready = decision != AS_ALIAS or bool(alias_of)
    if decision != DISMISS and chosen.answers > skills.MANY_ANSWERS:
        ready = st.checkbox(f"Yes, re-link all {chosen.answers} answers that typed it", key="proposal_confirm") \
            and ready
    label = {NEW_SKILL: "Add skill", AS_ALIAS: "Add alias", DISMISS: "Dismiss"}[decision]
    if not st.button(label, type="primary", disabled=not ready, key="proposal_apply"):
        return
    if decision == NEW_SKILL:
        ok, change = _attempt(lambda: skills.accept_as_skill(conn, chosen.text, category, name=name,
                                                             actor=me.username))
        message = ok and f"Added **{escape(change.name)}** to the taxonomy: {change.relinked} answer(s) re-linked."
    elif decision == AS_ALIAS:
        ok, change = _attempt(lambda: skills.accept_as_alias(conn, chosen.text, by_name[alias_of].id,
                                                             version=target_seen, actor=me.username))
        message = ok and (f"**{escape(chosen.text)}** is now an alias of **{escape(alias_of)}**: {change.relinked} "
                          "answer(s) re-linked.")
    else:
        ok, _ = _attempt(lambda: skills.dismiss(conn, chosen.text, actor=me.username))
        message = ok and f"Dismissed **{escape(chosen.text)}**: it is no longer proposed."
    if ok:
        _done(message, PROPOSAL_KEYS)  # the decided proposal leaves the list, so the next one is chosen


def _proposed() -> None:
    """The proposed skills: decide on each typed skill."""
    proposals = cache.skill_proposals(version)
    if not proposals:
        st.info("No typed skills await a decision: every 'Other' answer in members' latest responses is in the "
                "taxonomy or was dismissed.", icon=":material/done_all:")
    else:
        st.caption("Free-text 'Other' answers from members' latest survey responses, most members first, with the "
                   "closest existing skills (score out of 100; a skill is only suggested when it is really close).")
        st.dataframe(pd.DataFrame({
            "Typed by members": [p.text for p in proposals], "Members": [p.members for p in proposals],
            "Answers (all years)": [p.answers for p in proposals],
            "Closest skills": [_hints(p.candidates) for p in proposals]}),
            hide_index=True, width="stretch", key="proposals_table",
            column_config={"Members": st.column_config.NumberColumn(width="small"),
                           "Answers (all years)": st.column_config.NumberColumn(width="small"),
                           "Closest skills": st.column_config.TextColumn(width="large")})
        by_text = {p.text: p for p in proposals}
        chosen = by_text[st.selectbox("Decide on", list(by_text), key="proposal", on_change=_forget,
                                      args=(PROPOSAL_KEYS,),
                                      format_func=lambda t: f"{t} ({by_text[t].members} members)")]
        _seed(_proposal_defaults(chosen))
        spellings = [v for v in chosen.variants if v != chosen.text]
        st.markdown(f"**{escape(chosen.text)}**: typed by {chosen.members} member(s) in their latest answers; "
                    f"{chosen.answers} answer(s) of all program years hold it"
                    + (f" (also spelt {escape('; '.join(spellings))})" if spellings else "") + ".")
        if chosen.recognised:
            st.caption(f"Once case, accents and punctuation are ignored this already names "
                       f"**{escape(chosen.recognised)}** (it was imported before the taxonomy knew it): add it as an "
                       "alias to link its answers.")
        else:
            st.caption("Closest skills: " + escape(_hints(chosen.candidates)))
        decision = st.radio("Decision", [NEW_SKILL, AS_ALIAS, DISMISS], horizontal=True, key="proposal_decision")
        _decide(chosen, decision)
    dismissed = skills.dismissals(conn)
    if dismissed:
        with st.expander(f"{len(dismissed)} dismissed typed skill(s)", icon=":material/block:"):
            st.dataframe(pd.DataFrame(dismissed, columns=["Typed", "Dismissed by", "When"]), hide_index=True,
                         width="stretch", key="dismissed_table")
            again = st.selectbox("Propose again", [row[0] for row in dismissed], key="restore_choice")
            if st.button("Propose it again", key="restore_button"):
                ok, _ = _attempt(lambda: skills.restore(conn, again, actor=me.username))
                if ok:
                    _done(f"**{escape(again)}** is proposed again.", PROPOSAL_KEYS)


def _edit_defaults(skill) -> dict:
    """Where the edit widgets start for a skill: its own category and aliases."""
    return {"rename_name": "", "rename_keep_alias": True, "move_category": skill.category, "move_new_category": "",
            "aliases_text": "\n".join(skill.aliases), "merge_into": None, "merge_confirm": False}


def _edit(skill) -> None:
    """The forms that rename, move, re-alias or merge one skill."""
    seen = _seen("skill", skill.id, skill.version)
    rename_col, move_col = st.columns(2)
    with rename_col.form("rename_form", border=True):
        new_name = st.text_input("New name", key="rename_name", placeholder=skill.name)
        keep = st.checkbox("Keep the old name as an alias", key="rename_keep_alias")
        if st.form_submit_button("Rename", key="rename_submit"):
            ok, change = _attempt(lambda: skills.rename(conn, skill.id, new_name, version=seen, keep_alias=keep,
                                                        actor=me.username))
            if ok:
                _done(f"Renamed **{escape(skill.name)}** to **{escape(change.name)}**: {change.relinked} answer(s) "
                      "re-linked.", EDIT_KEYS, taxonomy_skill=change.name)
    with move_col.form("move_form", border=True):
        category = _category("move_category", "move_new_category", category_names)
        if st.form_submit_button("Move", key="move_submit"):
            ok, _ = _attempt(lambda: skills.move(conn, skill.id, category, version=seen, actor=me.username))
            if ok:
                _done(f"Moved **{escape(skill.name)}** to **{escape(category)}**.", EDIT_KEYS)
    aliases_col, merge_col = st.columns(2)
    with aliases_col.form("aliases_form", border=True):
        typed = st.text_area("Aliases, one per line", key="aliases_text",
                             help="Other names members type for this skill. Answers linked through an alias you "
                                  "remove stay linked.")
        if st.form_submit_button("Save aliases", key="aliases_submit"):
            ok, change = _attempt(lambda: skills.set_aliases(conn, skill.id, typed.splitlines(), version=seen,
                                                             actor=me.username))
            if ok:
                _done(f"Saved the aliases of **{escape(skill.name)}**: {change.relinked} answer(s) re-linked.",
                      EDIT_KEYS)
    with merge_col.container(border=True):
        into = st.selectbox("Merge into", [n for n in skill_names if n != skill.name], index=None,
                            placeholder="Choose a skill", key="merge_into")
        into_seen = _seen("skill", by_name[into].id, by_name[into].version) if into else None
        sure = st.checkbox(f"Yes, merge **{escape(skill.name)}** into **{escape(into or 'the chosen skill')}**: its "
                           "answers move over, its name and aliases become aliases, and it leaves the taxonomy.",
                           key="merge_confirm") and bool(into)
        if st.button("Merge", type="primary", disabled=not sure, key="merge_button"):
            ok, change = _attempt(lambda: skills.merge(conn, skill.id, by_name[into].id, version=seen,
                                                       target_version=into_seen, actor=me.username))
            if ok:
                _done(f"Merged **{escape(skill.name)}** into **{escape(into)}**: {change.moved} answer(s) moved, "
                      f"{change.relinked} re-linked.", EDIT_KEYS, taxonomy_skill=into)


def _taxonomy() -> None:
    """The taxonomy: search it, rename, move, edit aliases, merge."""
    search = st.text_input("Search the taxonomy", key="taxonomy_search", placeholder="A skill, an alias or a category")
    shown = skills.matching(all_skills, search)
    st.dataframe(pd.DataFrame({
        "Skill": [s.name for s in shown], "Category": [s.category for s in shown],
        "Aliases": ["; ".join(s.aliases) for s in shown], "Members": [s.members for s in shown]}),
        hide_index=True, width="stretch", key="taxonomy_table",
        column_config={"Members": st.column_config.NumberColumn(
            "Members", help="People who list the skill in their latest answer of any program year.")})
    st.caption(f"{len(shown)} of {len(all_skills)} skills.")
    if not skill_names:
        return
    st.subheader("Change a skill")
    skill = by_name[st.selectbox("Skill", skill_names, key="taxonomy_skill", on_change=_forget, args=(EDIT_KEYS,))]
    _seed(_edit_defaults(skill))
    st.caption(f"In **{escape(skill.category or 'no category')}** · aliases: "
               f"{escape('; '.join(skill.aliases)) or 'none'} · {skill.members} member(s).")
    _edit(skill)


def _institutions() -> None:
    """Unknown institution names, and adding an institution."""
    unknown = cache.institutions_to_review(version)
    by_institution = {i.name: i for i in institutions.list_institutions(conn)}
    if not unknown:
        st.info("Every institution name in the answers is recognised.", icon=":material/done_all:")
    else:
        st.caption("Institution names in answers that matched no institution, with the closest institutions. Accept "
                   "a name as an alias and its answers are linked, now and in every future import.")
        st.dataframe(pd.DataFrame({
            "Institution as typed": [u.name for u in unknown], "Answers": [u.answers for u in unknown],
            "Suggestions": [" · ".join(f"{n} ({s})" for _, n, s in u.suggestions) or "no suggestion"
                            for u in unknown]}), hide_index=True, width="stretch", key="institutions_table")
        by_raw = {u.name: u for u in unknown}
        raw = by_raw[st.selectbox("Name as typed", list(by_raw), key="inst_raw", on_change=_forget,
                                  args=(INSTITUTION_KEYS,),
                                  format_func=lambda n: f"{n} ({by_raw[n].answers} answers)")]
        _seed({"inst_target": raw.suggestions[0][1] if raw.suggestions else None, "inst_confirm": False})
        target = st.selectbox("Alias of", list(by_institution), index=None, placeholder="Choose an institution",
                              key="inst_target")
        seen = _seen("institution", by_institution[target].id, by_institution[target].version) if target else None
        ready = bool(target)
        if raw.answers > skills.MANY_ANSWERS:
            ready = st.checkbox(f"Yes, link all {raw.answers} answers that typed it", key="inst_confirm") and ready
        if st.button("Accept as alias", type="primary", disabled=not ready, key="inst_alias_button"):
            ok, relinked = _attempt(lambda: institutions.accept_alias(conn, raw.name, by_institution[target].id,
                                                                      version=seen, actor=me.username))
            if ok:
                _done(f"**{escape(raw.name)}** is now an alias of **{escape(target)}**: {relinked.responses} survey "
                      f"answer(s), {relinked.applications} application(s) and {relinked.people} person record(s) "
                      "re-linked.", INSTITUTION_KEYS)
    st.subheader("Add an institution")
    st.caption("For a real institution missing from the list. Its region and map position come from its county.")
    with st.form("institution_form", border=True):
        left, right = st.columns(2)
        new_name = left.text_input("Name", key="inst_new_name")
        city = right.text_input("City", key="inst_new_city")
        county = left.selectbox("County", institutions.counties(conn), index=None, placeholder="Choose a county",
                                key="inst_new_county")
        kind = right.selectbox("Type", institutions.TYPES, key="inst_new_type")
        also = st.multiselect("Names in answers that mean it", [u.name for u in unknown], key="inst_new_aliases",
                              help="Kept as aliases, and their answers are linked to the new institution.")
        if st.form_submit_button("Add institution", type="primary", key="inst_new_submit"):
            ok, relinked = _attempt(lambda: institutions.add_institution(conn, new_name, city, county or "", kind,
                                                                         aliases=also, actor=me.username))
            if ok:
                _done(f"Added **{escape(relinked.name)}**: {relinked.answers} answer(s) and {relinked.people} person "
                      "record(s) linked.", INSTITUTION_KEYS, inst_new_name="", inst_new_city="", inst_new_county=None,
                      inst_new_type=institutions.TYPES[0], inst_new_aliases=[])


# Tracked, so the tab in use stays open after a change reruns the page (and only the open tab is drawn).
tabs = st.tabs(["Proposed skills", "Taxonomy", "Institutions"], key="taxonomy_tab", on_change="rerun")
for tab, draw in zip(tabs, (_proposed, _taxonomy, _institutions)):
    if tab.open:
        with tab:
            draw()
