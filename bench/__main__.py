"""`python -m bench`: the scale benchmark (see bench/run.py); `python -m bench scale`: the registry-scale
benchmark of issue 16 (see bench/scale.py)."""

import sys

if sys.argv[1:2] == ["scale"]:
    from bench.scale import main as scale_main

    sys.exit(scale_main(sys.argv[2:]))

from bench.run import main

sys.exit(main())
