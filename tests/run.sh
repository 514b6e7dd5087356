#!/usr/bin/env bash
# Installs what the tests need into .venv and runs the whole suite. The README's test command; CI runs it too.
# As root it also installs Debian's bubblewrap (the sandbox student code is graded in), chromium (browser tests) and
# postgresql (a throwaway gradebook server, tests/support/postgres.py).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
[ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
# Debian keeps initdb in /usr/lib/postgresql/<version>/bin, off PATH
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || echo "warning: could not install ${missing[*]} from Debian; the tests that need them will be skipped" >&2
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements-test.txt
if [ $# -gt 0 ]; then  # a chosen part of the suite: as asked, one file after another
  exec .venv/bin/python -m pytest "$@"
fi
# The whole suite: two test files at a time (`--dist loadfile` keeps each file's module fixtures, such as a course
# graded once or a Streamlit server, in one process; tests/conftest.py puts the longest files first), then, alone, the
# tests that read their verdict from wall time (marker `exclusive`). Each phase's wall time, and the total, end the log.
status=0
phase() {  # phase NAME PYTEST-ARGS...: runs pytest, prints its wall time, remembers a failure
  local name=$1 start=$SECONDS
  shift
  .venv/bin/python -m pytest "$@" || status=$?
  printf 'suite time: %s phase %dm %02ds\n' "$name" $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60))
}
suite_start=$SECONDS
phase parallel -n 2 --dist loadfile -m "not exclusive"
phase exclusive -m exclusive
printf 'suite time: total %dm %02ds (installs excluded)\n' $(((SECONDS - suite_start) / 60)) $(((SECONDS - suite_start) % 60))
exit $status
