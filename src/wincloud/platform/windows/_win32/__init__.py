"""Thin typed bindings per Win32 API family: one method per call, no decisions. The only
modules that import winreg, win32* or ctypes.windll, and only inside the methods."""
