#!/usr/bin/env python
"""Django's command-line utility, with configuration errors reported without a traceback."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.dev")
    from lms.config import run_reporting_config_errors

    run_reporting_config_errors(sys.argv)


if __name__ == "__main__":
    main()
