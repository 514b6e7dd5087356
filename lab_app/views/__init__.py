"""The pages' cached computations: the only code with st.cache_*, one module per page (each with its DEFAULTS, the
page's first widget values) and shared.py for what several pages cache. Views call reference/ and lab_app/server/
and hand NumPy arrays to the pages; they never import a page, ui/ or figures/."""
