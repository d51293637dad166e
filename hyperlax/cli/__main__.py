import sys

from hyperlax.cli.main import main

sys.exit(main())
