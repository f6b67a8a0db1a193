"""`python -m bench`: the scale benchmark (see bench/run.py); `python -m bench scale`: the registry-scale
benchmark of issue 16 (see bench/scale.py); `python -m bench compare REV`: the same commands at an earlier
commit and now (see bench/compare.py)."""

import sys

if sys.argv[1:2] == ["compare"]:
    from bench.compare import main as compare_main

    sys.exit(compare_main(sys.argv[2:]))
if sys.argv[1:2] == ["scale"]:
    from bench.scale import main as scale_main

    sys.exit(scale_main(sys.argv[2:]))

from bench.run import main

sys.exit(main())
