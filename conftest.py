# Shared fixtures for the core's and every plugin's tests: see makeplus_core/testing.py
pytest_plugins = ["makeplus_core.testing"]
