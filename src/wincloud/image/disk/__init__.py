"""Offline work on Windows disk images: hives (libhivex), file systems (libguestfs),
``inspect_image``, ``customize_image`` and ``validate_report`` (``wincloud image inspect``,
``customize``, ``validate``)."""
