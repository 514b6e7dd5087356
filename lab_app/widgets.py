"""Widgets more than one page uses."""
import streamlit as st

from reference.checkpoints import available_checkpoints


def pick_model(container, key: str) -> str:
    """A select box over the shipped checkpoints, "moons" first; stops the page with a message if there are none."""
    names = available_checkpoints()
    if not names:
        st.error("No shipped checkpoints found in reference/weights/.")
        st.stop()
    return container.selectbox("Model", names, index=names.index("moons") if "moons" in names else 0, key=key)
