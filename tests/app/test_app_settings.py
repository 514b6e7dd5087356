"""The lab's settings (lab_app/server/settings.py, issue 28): is every DDPM_LAB_* variable read into its typed field,
with its default when unset, and does a value that cannot be read name its variable?"""
import pytest

from lab_app.server.settings import Settings


def test_unset_variables_keep_their_defaults():
    """Does an empty environment give the documented defaults?"""
    assert Settings.from_environ({}) == Settings(threads=1, concurrent_scripts=1, open_assignments=(), warmup=True,
                                                 training_slots=None, compute="process", compute_threads=None,
                                                 dask_scheduler=None, compute_workers=4)


def test_every_variable_reaches_its_field():
    """Is each variable read into its field, with its type?"""
    environ = {"DDPM_LAB_THREADS": "2", "DDPM_LAB_CONCURRENT_SCRIPTS": "3",
               "DDPM_LAB_OPEN_ASSIGNMENTS": " ddpm_core, ddpm_beyond ,", "DDPM_LAB_WARMUP": "0",
               "DDPM_LAB_TRAINING_SLOTS": "5", "DDPM_LAB_COMPUTE": "thread", "DDPM_LAB_COMPUTE_THREADS": "6",
               "DDPM_LAB_DASK_SCHEDULER": "tcp://host:8786", "DDPM_LAB_COMPUTE_WORKERS": "7"}
    assert Settings.from_environ(environ) == Settings(
        threads=2, concurrent_scripts=3, open_assignments=("ddpm_core", "ddpm_beyond"), warmup=False,
        training_slots=5, compute="thread", compute_threads=6, dask_scheduler="tcp://host:8786", compute_workers=7)


@pytest.mark.parametrize("name, value, message", [
    ("DDPM_LAB_THREADS", "two", "DDPM_LAB_THREADS must be a positive integer; got 'two'"),
    ("DDPM_LAB_CONCURRENT_SCRIPTS", "0", "DDPM_LAB_CONCURRENT_SCRIPTS must be a positive integer; got '0'"),
    ("DDPM_LAB_TRAINING_SLOTS", "-1", "DDPM_LAB_TRAINING_SLOTS must be a positive integer; got '-1'"),
    ("DDPM_LAB_WARMUP", "no", "DDPM_LAB_WARMUP must be 0 or 1; got 'no'"),
    ("DDPM_LAB_COMPUTE", "gpu-please", "DDPM_LAB_COMPUTE must be 'process' or 'thread'; got 'gpu-please'"),
])
def test_a_bad_value_names_its_variable(name, value, message):
    """Does a value that cannot be read stop with an error naming the variable and what it accepts?"""
    with pytest.raises(ValueError, match=message):
        Settings.from_environ({name: value})
