"""Config drives: ISO 9660 and VFAT images labelled ``config-2``, built and read without root.

pycdlib is imported only when an ISO is actually written or read.
"""

from wincloud.configdrive.build import build_drive
from wincloud.configdrive.layout import DEFAULT_LABEL, MAX_DRIVE_BYTES, DriveFormat
from wincloud.configdrive.read import (
    META_DATA_PATH,
    detect_format,
    get_meta_data,
    read_drive,
    read_drive_label,
)

__all__ = [
    "DEFAULT_LABEL",
    "MAX_DRIVE_BYTES",
    "META_DATA_PATH",
    "DriveFormat",
    "build_drive",
    "detect_format",
    "get_meta_data",
    "read_drive",
    "read_drive_label",
]
