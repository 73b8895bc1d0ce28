"""User-facing errors: each carries a one-line message that says what to fix."""


class MotionComposerError(ValueError):
    """Base class for every error caused by user input or user files."""


class BVHError(MotionComposerError):
    """A BVH file that cannot be parsed; the message names the line."""


class RequestError(MotionComposerError):
    """A generation request (job file, CLI options, panel settings) that cannot be honoured."""


class ModelFilesError(MotionComposerError):
    """Missing or corrupt model files; the message names the file and how to restore it."""


class RetargetError(MotionComposerError):
    """An armature or bone mapping that cannot take the motion."""


class OutputError(MotionComposerError):
    """An output that cannot be written without losing data (existing, read-only, a folder)."""
