"""Run by Debian's /usr/bin/python3: cloud-init's OpenStack HTTP reader against a URL.

Prints what MetadataReader.read_v2() returned, as JSON (bytes as text).
"""

import json
import sys

from cloudinit.sources.helpers import openstack


def _plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def main() -> None:
    reader = openstack.MetadataReader(sys.argv[1], timeout=5, retries=0)
    print(json.dumps(_plain(reader.read_v2())))


if __name__ == "__main__":
    main()
