"""Our own VHD/VHDX library (pure bytes; no host needed)."""
