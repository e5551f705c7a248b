"""ALI Mentorship dashboard: the router. Resolves who is logged in and which pages they may open."""
import streamlit as st

from ui import session

st.set_page_config(page_title="ALI Mentorship", page_icon=":material/diversity_3:", layout="wide")

viewer = session.current_viewer()
st.session_state["_viewer"] = viewer

directory_page = st.Page("pages/directory.py", title="Skills Directory", icon=":material/menu_book:",
                         url_path="directory", default=not viewer.is_committee)
if viewer.is_committee:
    pages = {
        "Programs": [
            st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", url_path="overview",
                    default=True),
            directory_page,
        ],
    }
    if viewer.is_admin:
        pages["Administration"] = [st.Page("pages/admin.py", title="Users", icon=":material/manage_accounts:",
                                           url_path="admin")]
else:
    # Logged-out visitors get only the published directory; committee pages are not registered at all,
    # so their URLs lead back to the directory.
    pages = {"": [directory_page,
                  st.Page("pages/login.py", title="Committee login", icon=":material/login:", url_path="login")]}

navigation = st.navigation(pages)
st.logo("data/brand/logo.svg", size="large")
session.sidebar(viewer)
navigation.run()
