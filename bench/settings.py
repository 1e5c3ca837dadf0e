"""Settings of the benchmark stack: production's, plus the two things only a load test needs.

- The CAPTCHA in test mode (it accepts `PASSED`): base.py refuses `CAPTCHA_TEST_MODE` from the
  environment without DEBUG, so it is switched on here, in a module production never loads.
- With `BENCH_QUERY_COUNT=1`, each response says in `X-Bench-Queries` how many SQL queries it
  ran, so the load generator reads query counts from the very requests it times.
"""

import os

from config.settings.production import *  # noqa: F403
from config.settings.production import MIDDLEWARE

CAPTCHA_TEST_MODE = True

if os.environ.get("BENCH_QUERY_COUNT") == "1":
    MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
