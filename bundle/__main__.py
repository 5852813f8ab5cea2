import sys

from bundle.build import main

sys.exit(main())
