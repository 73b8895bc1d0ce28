"""Fixtures shared across test modules (plain helpers live in test_addon_fakes.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def registered_addon():
    """The add-on registered for one test module: `pytestmark = pytest.mark.usefixtures("registered_addon")`."""
    import addon  # imports bpy: only modules that use this fixture pay for it

    addon.register()
    yield
    addon.unregister()
