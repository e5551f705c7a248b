"""The load benchmark's baseline: a bare Streamlit page drawing as many cards as the directory shows (no app)."""
import streamlit as st

CARDS = 25
text = st.text_input("Search", key="cards_search")
for number in range(CARDS):
    with st.container(border=True, key=f"card_{number}"):
        st.markdown(f"**Member {number}**  \nLibrarian · Technical Services · Ball State University")
        st.markdown(f"Skills: Cataloging, Metadata, {text or 'Archives'}")
        st.caption("Open to support, discussion · member@example.invalid")
        st.button("Profile", key=f"profile_{number}")
