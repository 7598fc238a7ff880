import sys

from vjplab.cli import main

sys.exit(main())
