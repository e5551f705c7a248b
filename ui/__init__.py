"""The Streamlit side of the dashboard: caching and the session (login, sidebar). lib/ never imports it."""
