"""DDPM Lab: the router. Pages live in lab_app/pages/."""
import streamlit as st


def run() -> None:
    st.set_page_config(page_title="DDPM Lab", page_icon="🌫️", layout="wide")
    page = st.navigation([st.Page("lab_app/pages/home.py", title="Home", icon="🏠", default=True)])
    page.run()


run()
