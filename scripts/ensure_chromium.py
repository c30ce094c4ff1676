"""Make sure Debian's Chromium is installed for the browser tests, where this machine allows it.

Playwright drives the system's /usr/bin/chromium (no browser download at test time). As root on a
Debian/Ubuntu machine this installs the `chromium` package; elsewhere it only says what is
missing, and the browser tests skip loudly (or fail, when INSIGHTSTOCK_REQUIRE_BROWSER is set, as
CI sets it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    if os.path.exists(CHROMIUM):
        return 0
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("browser tests: installing Debian's chromium package ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
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
