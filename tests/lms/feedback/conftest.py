from tests.lms.notifications.conftest import team  # noqa: F401  (the shared fixture)
