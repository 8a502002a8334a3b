from tests.analytics.conftest import clock  # noqa: F401  (the fixture, for "today")
