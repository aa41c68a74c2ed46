import pytest
from django.conf import settings
from django.utils import translation


def pytest_collection_modifyitems(items):
    """Mark the tests that commit for real (live server, concurrency tests).

    Such a test ends by emptying every table, the rows migrations made included (Wagtail's
    root page, the default site), so a test running after it in the same process finds
    no root page. pytest-django runs them last in one process, but pytest-xdist hands a
    worker whole files in any order; `make test` therefore runs the marked tests in a
    second pass (`-m transactional`), after all the others.
    """
    for item in items:
        db = item.get_closest_marker("django_db")
        if "transactional_db" in item.fixturenames or (db and db.kwargs.get("transaction")):
            item.add_marker(pytest.mark.transactional)


@pytest.fixture(autouse=True)
def english_messages():
    """Tests compare messages with their English msgids, whatever the compiled catalogue.

    The site itself speaks Indonesian first (see the `id_client` fixture and the browser
    tests, which check the Indonesian interface as a learner sees it).
    """
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    """A test client that has chosen English with the language switcher."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def id_client(client):
    """A test client as a learner first arrives: no language chosen, so Indonesian."""
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    return client


@pytest.fixture
def curriculum_index(db):
    """The site root page, as `load_demo_data` and a fresh install set it up."""
    from courses.services import curriculum_index_install

    return curriculum_index_install(title="Kurikulum ASN Digital")
