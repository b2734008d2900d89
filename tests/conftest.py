"""The suite's shared fixtures and start-up checks come from one plugin beside the emulators; folder-local
fixtures stay in each folder's conftest.py."""

pytest_plugins = ["emulators.testing.plugin"]
