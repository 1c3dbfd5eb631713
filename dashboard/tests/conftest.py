from franchises.tests.conftest import make_member  # noqa: F401
from health.tests.conftest import empty_cache  # noqa: F401
