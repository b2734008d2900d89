"""The suite's shared fixtures and start-up checks come from one plugin beside the emulators; folder-local
fixtures stay in each folder's conftest.py."""

import pytest

# The helpers assert on what they build (e.g. a spec without errors); rewritten, their failures show the values.
pytest.register_assert_rewrite("emulators.testing")

pytest_plugins = ["emulators.testing.plugin"]
