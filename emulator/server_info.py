"""``/rest/api/{2,3}/serverInfo`` as each flavour answers it. Pure.

Cloud reports ``1001.0.0-SNAPSHOT`` and ``deploymentType`` "Cloud". Data Center reports its release
(``9.12.15`` unless the scenario's ``serverVersion`` or ``create_emulator(server_version=…)`` names
another, such as ``8.20.13``), its ``versionNumbers``, ``deploymentType`` "Server", a build number
made from the version as Jira's are (8.20.13 → 820013, 9.12.15 → 9120015) and ``databaseBuildNumber``.
Both carry ``serverTime``, Jira's clock when it answered.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.timefmt import jira_time

DEFAULT_DATA_CENTER_VERSION = "9.12.15"
SHORT_VERSIONS = {"8.20": "8.20.13", "9.12": "9.12.15"}  # a release line → the release it stands for
BUILD_DATES = {8: "2022-09-21T00:00:00.000+0000", 9: "2024-11-06T00:00:00.000+0000"}  # those two releases' dates
SUPPORTED_MAJORS = (8, 9)
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


class VersionError(ValueError):
    """A Data Center version the emulator cannot stand for; the message says which forms it takes."""


@dataclass(frozen=True)
class Release:
    version: str
    numbers: tuple[int, int, int]
    build_number: int
    build_date: str


def data_center_release(version: str | None) -> Release:
    """The release ``version`` names: ``8.20.x`` or ``9.x.y``, or the line ``8.20`` / ``9.12``; empty
    or None is the default (9.12.15). Raises VersionError for anything else."""
    text = SHORT_VERSIONS.get(str(version or "").strip(), str(version or "").strip()) or DEFAULT_DATA_CENTER_VERSION
    match = _VERSION.match(text)
    if match is None or int(match.group(1)) not in SUPPORTED_MAJORS:
        raise VersionError(
            f"serverVersion {version!r} is not a Jira Data Center release the emulator serves: "
            f"use 8.20.x or 9.x.y (e.g. 8.20.13, 9.12.15), or 8.20 / 9.12"
        )
    major, minor, patch = (int(part) for part in match.groups())
    return Release(
        version=text,
        numbers=(major, minor, patch),
        build_number=build_number(major, minor, patch),
        build_date=BUILD_DATES[major],
    )


def build_number(major: int, minor: int, patch: int) -> int:
    """Jira 8 writes 8.20.13 as 820013; Jira 9 writes 9.12.15 as 9120015."""
    if major < 9:
        return int(f"{major}{minor}{patch:03d}")
    return int(f"{major}{minor}{patch:04d}")


def cloud_server_info(base: str, title: str, now: datetime) -> dict[str, Any]:
    return {
        "baseUrl": base,
        "version": "1001.0.0-SNAPSHOT",
        "versionNumbers": [1001, 0, 0],
        "deploymentType": "Cloud",
        "buildNumber": 100280,
        "buildDate": "2025-12-01T00:00:00.000+0000",
        "serverTime": jira_time(now),
        "scmInfo": "emulator",
        "serverTitle": title,
    }


def data_center_server_info(release: Release, base: str, title: str, now: datetime) -> dict[str, Any]:
    return {
        "baseUrl": base,
        "version": release.version,
        "versionNumbers": list(release.numbers),
        "deploymentType": "Server",
        "buildNumber": release.build_number,
        "buildDate": release.build_date,
        "databaseBuildNumber": release.build_number,
        "serverTime": jira_time(now),
        "scmInfo": hashlib.sha1(release.version.encode()).hexdigest(),
        "serverTitle": title,
    }
