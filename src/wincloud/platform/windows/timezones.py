"""IANA time zone names <-> Windows time zone key names (the registry's ``Time Zones`` keys),
for the zones a cloud image is commonly given. The first IANA name of each Windows zone is the
one ``timezone()`` reports. Facts from the Unicode CLDR mapping; the table is ours."""

from __future__ import annotations

from typing import Final

WINDOWS_ZONES: Final[dict[str, tuple[str, ...]]] = {
    "UTC": ("UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Zulu"),
    "GMT Standard Time": ("Europe/London", "Europe/Dublin", "Europe/Lisbon", "Atlantic/Canary"),
    "Greenwich Standard Time": ("Atlantic/Reykjavik", "Africa/Abidjan", "Africa/Accra"),
    "W. Europe Standard Time": (
        "Europe/Berlin",
        "Europe/Amsterdam",
        "Europe/Rome",
        "Europe/Stockholm",
        "Europe/Vienna",
        "Europe/Zurich",
        "Europe/Oslo",
        "Europe/Luxembourg",
        "Europe/Monaco",
        "Europe/Malta",
    ),
    "Romance Standard Time": (
        "Europe/Paris",
        "Europe/Brussels",
        "Europe/Copenhagen",
        "Europe/Madrid",
    ),
    "Central Europe Standard Time": (
        "Europe/Budapest",
        "Europe/Prague",
        "Europe/Belgrade",
        "Europe/Bratislava",
        "Europe/Ljubljana",
    ),
    "Central European Standard Time": ("Europe/Warsaw", "Europe/Zagreb", "Europe/Sarajevo"),
    "GTB Standard Time": ("Europe/Bucharest", "Europe/Athens", "Asia/Nicosia"),
    "FLE Standard Time": (
        "Europe/Kiev",
        "Europe/Kyiv",
        "Europe/Helsinki",
        "Europe/Riga",
        "Europe/Sofia",
        "Europe/Tallinn",
        "Europe/Vilnius",
    ),
    "E. Europe Standard Time": ("Europe/Chisinau",),
    "Turkey Standard Time": ("Europe/Istanbul",),
    "Israel Standard Time": ("Asia/Jerusalem",),
    "Egypt Standard Time": ("Africa/Cairo",),
    "South Africa Standard Time": ("Africa/Johannesburg",),
    "W. Central Africa Standard Time": ("Africa/Lagos",),
    "E. Africa Standard Time": ("Africa/Nairobi",),
    "Morocco Standard Time": ("Africa/Casablanca",),
    "Russian Standard Time": ("Europe/Moscow", "Europe/Simferopol"),
    "Arabic Standard Time": ("Asia/Baghdad",),
    "Arab Standard Time": ("Asia/Riyadh", "Asia/Kuwait", "Asia/Qatar"),
    "Arabian Standard Time": ("Asia/Dubai", "Asia/Muscat"),
    "Iran Standard Time": ("Asia/Tehran",),
    "Pakistan Standard Time": ("Asia/Karachi",),
    "India Standard Time": ("Asia/Kolkata", "Asia/Calcutta"),
    "Nepal Standard Time": ("Asia/Kathmandu",),
    "Bangladesh Standard Time": ("Asia/Dhaka",),
    "SE Asia Standard Time": ("Asia/Bangkok", "Asia/Jakarta", "Asia/Ho_Chi_Minh"),
    "China Standard Time": ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Macau"),
    "Singapore Standard Time": ("Asia/Singapore", "Asia/Kuala_Lumpur", "Asia/Manila"),
    "Taipei Standard Time": ("Asia/Taipei",),
    "Tokyo Standard Time": ("Asia/Tokyo",),
    "Korea Standard Time": ("Asia/Seoul",),
    "W. Australia Standard Time": ("Australia/Perth",),
    "Cen. Australia Standard Time": ("Australia/Adelaide",),
    "AUS Central Standard Time": ("Australia/Darwin",),
    "E. Australia Standard Time": ("Australia/Brisbane",),
    "AUS Eastern Standard Time": ("Australia/Sydney", "Australia/Melbourne"),
    "Tasmania Standard Time": ("Australia/Hobart",),
    "New Zealand Standard Time": ("Pacific/Auckland",),
    "Hawaiian Standard Time": ("Pacific/Honolulu",),
    "Alaskan Standard Time": ("America/Anchorage",),
    "Pacific Standard Time": ("America/Los_Angeles", "America/Vancouver", "US/Pacific"),
    "US Mountain Standard Time": ("America/Phoenix",),
    "Mountain Standard Time": ("America/Denver", "America/Edmonton", "US/Mountain"),
    "Central Standard Time": ("America/Chicago", "America/Winnipeg", "US/Central"),
    "Central Standard Time (Mexico)": ("America/Mexico_City",),
    "Canada Central Standard Time": ("America/Regina",),
    "Eastern Standard Time": ("America/New_York", "America/Toronto", "US/Eastern"),
    "Atlantic Standard Time": ("America/Halifax",),
    "Newfoundland Standard Time": ("America/St_Johns",),
    "SA Pacific Standard Time": ("America/Bogota", "America/Lima"),
    "Venezuela Standard Time": ("America/Caracas",),
    "Pacific SA Standard Time": ("America/Santiago",),
    "E. South America Standard Time": ("America/Sao_Paulo",),
    "Argentina Standard Time": ("America/Argentina/Buenos_Aires", "America/Buenos_Aires"),
}

IANA_TO_WINDOWS: Final[dict[str, str]] = {
    iana.casefold(): windows for windows, names in WINDOWS_ZONES.items() for iana in names
}


def windows_zone(iana: str) -> str | None:
    return IANA_TO_WINDOWS.get(iana.casefold())


def iana_zone(windows: str) -> str | None:
    names = WINDOWS_ZONES.get(windows)
    return names[0] if names else None
