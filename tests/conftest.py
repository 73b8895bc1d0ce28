"""Fixtures shared across test modules (plain helpers live in test_addon_fakes.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest


@pytest.fixture(scope="module")
def registered_addon():
    """The add-on registered for one test module: `pytestmark = pytest.mark.usefixtures("registered_addon")`."""
    import addon  # imports bpy: only modules that use this fixture pay for it

    addon.register()
    yield
    addon.unregister()


GENERATE_RIGIFY = r"""
import os, sys
import bpy
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.preferences.addon_enable(module="rigify")
bpy.ops.object.armature_human_metarig_add()
bpy.ops.pose.rigify_generate()
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[1])
print("SAVED", flush=True)
os._exit(0)  # after Rigify, the bpy 4.2 module crashes and 4.5 hangs at process exit
"""


@pytest.fixture(scope="session")
def rigify_rigs():
    """The Rigify human metarig and the rig generated from it, saved once for the session.

    Made in a child process: once Rigify was enabled the bpy 4.x module cannot shut down
    (4.2 crashes, 4.5 hangs at exit), so it never loads in the test process.
    """
    path = os.path.join(tempfile.mkdtemp(prefix="mc-rigify-"), "rigify.blend")
    proc = subprocess.run([sys.executable, "-c", GENERATE_RIGIFY, path], capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert "SAVED" in proc.stdout and os.path.isfile(path), proc.stdout + proc.stderr
    return path


def pytest_sessionfinish(session, exitstatus):
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


def pytest_unconfigure(config):
    """bpy 4.2 as a Python module segfaults while Python shuts down once a class with a Python property callback
    (update=, poll=) was registered, even after unregistering it (measured: a one-property PropertyGroup is
    enough; 4.5 and 5.0 exit cleanly). The tests have passed or failed by then: end with pytest's own status."""
    bpy = sys.modules.get("bpy")
    if bpy is not None and bpy.app.version < (4, 3, 0):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash.get(_EXIT_STATUS, 1))


_EXIT_STATUS = pytest.StashKey[int]()
