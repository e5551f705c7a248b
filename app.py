"""ALI Mentorship dashboard: the router. Resolves who is logged in, registers every page and opens one.

Every page has one address for everyone. Pages a viewer may not use are registered but hidden from the
navigation; opening one asks a visitor to log in (and then opens it), and tells a committee member that
only an admin may. Each page file checks the role again on the server before it shows anything.
"""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import streamlit as st

from ui import session

st.set_page_config(page_title="ALI Mentorship", page_icon=":material/diversity_3:", layout="wide")

viewer = session.current_viewer()
st.session_state["_viewer"] = viewer


def _page(path: str, title: str, icon: str, url_path: str, shown: bool = True) -> st.Page:
    """A page of the app at its address, listed in the navigation only when shown."""
    return st.Page(path, title=title, icon=icon, url_path=url_path, visibility="visible" if shown else "hidden")


overview = _page("pages/overview.py", "Overview", ":material/dashboard:", "overview", viewer.is_committee)
directory = _page("pages/directory.py", "Skills Directory", ":material/menu_book:", "directory")
coverage = _page("pages/coverage.py", "Coverage", ":material/map:", "coverage", viewer.is_committee)
circles = _page("pages/circles.py", "Circles", ":material/group_work:", "circles", viewer.is_committee)
attendance = _page("pages/attendance.py", "Meetings and attendance", ":material/event_available:", "attendance",
                   viewer.is_committee)
outcomes = _page("pages/outcomes.py", "Outcomes", ":material/insights:", "outcomes", viewer.is_committee)
report = _page("pages/report.py", "Annual report", ":material/summarize:", "report", viewer.is_committee)
mail = _page("pages/messages.py", "Messages", ":material/mail:", "messages", viewer.is_committee)
importer = _page("pages/imports.py", "Import", ":material/upload_file:", "import", viewer.is_committee)
taxonomy = _page("pages/skills.py", "Skills and institutions", ":material/category:", "skills", viewer.is_committee)
users = _page("pages/admin.py", "Users", ":material/manage_accounts:", "admin", viewer.is_admin)
audit_log = _page("pages/audit.py", "Audit log", ":material/history:", "audit", viewer.is_admin)
backups = _page("pages/backups.py", "Backups", ":material/backup:", "backups", viewer.is_admin)
privacy = _page("pages/privacy.py", "Privacy requests", ":material/person_remove:", "privacy", viewer.is_admin)
account = _page("pages/account.py", "My account" if viewer.is_committee else "Committee login",
                ":material/account_circle:" if viewer.is_committee else ":material/login:", "account")


def home() -> None:
    """The bare address: the Overview for the committee, the published directory for everyone else."""
    st.switch_page(overview if viewer.is_committee else directory)


start = st.Page(home, title="Home", url_path="home", default=True, visibility="hidden")
if viewer.is_committee:
    sections = {"Programs": [overview, directory, coverage, circles, attendance, outcomes, report, mail],
                "Data": [importer, taxonomy]}
    if viewer.is_admin:
        sections["Administration"] = [users, audit_log, backups, privacy]
    sections["You"] = [account]
    sections[""] = [start] + ([] if viewer.is_admin else [users, audit_log, backups, privacy])
else:
    sections = {"": [directory, account, start, overview, coverage, circles, attendance, outcomes, report, mail,
                     importer, taxonomy, users, audit_log, backups, privacy]}

# The navigation is drawn by ui.session.sidebar from the same sections, so Streamlit's own menu stays hidden,
# and with it the list of page files it would show for a pages/ folder on a freshly started server.
navigation = st.navigation(sections, position="hidden")
by_url = {page.url_path: page for page in (overview, directory, coverage, circles, attendance, outcomes, report, mail,
                                           importer, taxonomy, users, audit_log, backups, privacy, account)}
session.land_after_login(by_url)
st.logo("data/brand/logo.svg", size="large")
session.sidebar(viewer, sections)
with session.routing():
    navigation.run()
