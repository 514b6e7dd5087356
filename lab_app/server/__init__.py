"""What runs behind the pages, without streamlit: the settings (settings.py), the model loader (models.py), page
scripts' turns (admission.py), live training runs (training.py) and the compute service (compute/)."""
