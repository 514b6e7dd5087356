"""Arrays in, plotly Figure out (Vega-Lite for the training loss): one module per page, common.py for the charts
several pages draw and style.py for what they all share. No streamlit and no formulas; nothing of lab_app/ outside
figures/."""
