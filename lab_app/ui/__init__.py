"""Streamlit helpers the pages share that are not caches: schedule and model widgets, progress bars, the "Show the
code" panels and course mode, fragments that take turns."""
