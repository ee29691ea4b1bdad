"""`python -m crawler.cli`."""

import sys

from crawler.cli.app import main

sys.exit(main())
