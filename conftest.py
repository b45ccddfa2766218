"""Shared pytest plugins: the moto server fixture is used by component and operations tests."""

pytest_plugins = ["tests.moto_server"]
