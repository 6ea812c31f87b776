"""Run by Debian's /usr/bin/python3: cloud-init's config-drive reader on a directory.

Prints what ConfigDriveReader(DIR).read_v2() returned, as JSON: bytes as text, or as
{"base64": ...} when they are not UTF-8.
"""

import base64
import json
import sys

from cloudinit.sources.helpers import openstack


def _plain(value):
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def main() -> None:
    reader = openstack.ConfigDriveReader(sys.argv[1])
    print(json.dumps(_plain(reader.read_v2())))


if __name__ == "__main__":
    main()
