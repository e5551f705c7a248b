"""Privacy requests (being built: see the issue on data safety)."""
import streamlit as st

from ui import session

session.page()  # first: a file Streamlit ran by itself goes through app.py

me = session.require_admin()
st.title("Privacy requests")
