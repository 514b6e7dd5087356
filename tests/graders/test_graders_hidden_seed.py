"""Does a course's hidden-case seed come out the same for every grader, however many make it at once?"""
from __future__ import annotations

import os
import stat
from concurrent.futures import ProcessPoolExecutor

import pytest

from graders.nbgrader.hidden_seed import course_seed


def test_graders_starting_at_once_share_one_seed(tmp_path):
    """With 16 processes asking for the seed of a new course at the same moment, do all get the same one, stored
    in one owner-only file and no leftover drafts?"""
    path = tmp_path / "hidden_seed.txt"
    with ProcessPoolExecutor(16) as pool:
        seeds = list(pool.map(course_seed, [path] * 64))
    assert len(set(seeds)) == 1 and seeds[0] == int(path.read_text())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["hidden_seed.txt"]


def test_a_damaged_seed_file_is_named(tmp_path):
    """Does a seed file holding something other than an integer raise ValueError naming the file?"""
    path = tmp_path / "hidden_seed.txt"
    path.write_text("not a seed\n")
    with pytest.raises(ValueError, match="hidden_seed.txt must hold one non-negative integer"):
        course_seed(path)
