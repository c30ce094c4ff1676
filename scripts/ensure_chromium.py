"""Make sure Debian's Chromium is installed for the browser tests, where this machine allows it.

Playwright drives the system's /usr/bin/chromium (no browser download at test time). As root on a
Debian/Ubuntu machine this installs the `chromium` package; elsewhere it only says what is
missing, and the browser tests skip loudly (or fail, when INSIGHTSTOCK_REQUIRE_BROWSER is set, as
CI sets it). It also installs a Korean font (`fonts-nanum`): without one Chromium draws Hangul as
empty boxes, and the journeys' screenshots are there to be looked at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"
KOREAN_FONT_DIR = "/usr/share/fonts/truetype/nanum"


def main() -> int:
    missing = [
        package
        for package, path in (("chromium", CHROMIUM), ("fonts-nanum", KOREAN_FONT_DIR))
        if not os.path.exists(path)
    ]
    if not missing:
        return 0
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"browser tests: installing Debian's {' and '.join(missing)} ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
            subprocess.run(install, env=env, capture_output=True)
    if not os.path.exists(CHROMIUM):
        print(
            f"browser tests: {CHROMIUM} is missing and could not be installed here "
            "(install Debian's `chromium` package); they will be skipped",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
