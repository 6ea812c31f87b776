"""The guest agent: finds the instance's metadata and applies it, stage by stage.

Importing this package costs nothing: httpx, cryptography, yaml and pycdlib are imported by the
functions that need them, so a boot where nothing is left to do stays fast.
"""
