import pytest


@pytest.fixture
def curriculum_index(db):
    """The site root page, as `load_demo_data` and a fresh install set it up."""
    from courses.services import curriculum_index_install

    return curriculum_index_install(title="Kurikulum ASN Digital")
