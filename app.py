"""ALI Mentorship dashboard: the router. Resolves who is logged in and which pages they may open."""
import streamlit as st

from ui import session

st.set_page_config(page_title="ALI Mentorship", page_icon=":material/diversity_3:", layout="wide")

viewer = session.current_viewer()
st.session_state["_viewer"] = viewer

# One page serves the login form to visitors and "My account" to committee members, at the same URL.
account_page = st.Page("pages/account.py", title="My account" if viewer.is_committee else "Committee login",
                       icon=":material/account_circle:" if viewer.is_committee else ":material/login:",
                       url_path="account")
directory_page = st.Page("pages/directory.py", title="Skills Directory", icon=":material/menu_book:",
                         url_path="directory", default=not viewer.is_committee)
if viewer.is_committee:
    pages = {
        "Programs": [
            overview_page := st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:",
                                     url_path="overview", default=True),
            directory_page,
        ],
        "Data": [
            st.Page("pages/imports.py", title="Import", icon=":material/upload_file:", url_path="import"),
        ],
    }
    if viewer.is_admin:
        pages["Administration"] = [st.Page("pages/admin.py", title="Users", icon=":material/manage_accounts:",
                                           url_path="admin")]
    pages["You"] = [account_page]
else:
    # Logged-out visitors get only the published directory; committee pages are not registered at all,
    # so their URLs lead back to the directory.
    pages = {"": [directory_page, account_page]}

navigation = st.navigation(pages)
if viewer.is_committee:
    session.land_after_login(overview_page)
st.logo("data/brand/logo.svg", size="large")
session.sidebar(viewer)
navigation.run()
