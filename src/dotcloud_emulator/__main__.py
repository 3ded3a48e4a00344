import sys

from dotcloud_emulator.cli.main import main

sys.exit(main())
