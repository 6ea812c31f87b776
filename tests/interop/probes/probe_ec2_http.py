"""Run by Debian's /usr/bin/python3: cloud-init's EC2 reader against a URL.

Usage: probe_ec2_http.py URL VERSION [--token]. With --token an IMDSv2 token is fetched
first and sent with every request, as cloud-init's Ec2 datasource does.
Prints {"metadata": ..., "userdata": ...} as JSON.
"""

import json
import sys
import urllib.request

from cloudinit.sources.helpers import ec2


def _token(url: str) -> str:
    request = urllib.request.Request(
        url.rstrip("/") + "/latest/api/token",
        method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read().decode()


def main() -> None:
    url, version = sys.argv[1], sys.argv[2]
    headers = {}
    if "--token" in sys.argv:
        headers["X-aws-ec2-metadata-token"] = _token(url)

    def headers_cb(_url):
        return headers

    md = ec2.get_instance_metadata(
        api_version=version, metadata_address=url, timeout=5, retries=0, headers_cb=headers_cb
    )
    ud = ec2.get_instance_userdata(
        api_version=version, metadata_address=url, timeout=5, retries=0, headers_cb=headers_cb
    )
    if isinstance(ud, bytes):
        ud = ud.decode("utf-8", "replace")
    print(json.dumps({"metadata": md, "userdata": ud}))


if __name__ == "__main__":
    main()
