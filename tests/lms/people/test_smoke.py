import pytest

from tests.factories import LearnerFactory


@pytest.mark.django_db
class LearnerCreateTests:
    def test_learner_takes_gender_and_birth_date_from_nip(self):
        profile = LearnerFactory(nip="198609262015051001")
        assert profile.user.username == "198609262015051001"
        assert profile.gender == "1"
        assert profile.birth_date.isoformat() == "1986-09-26"
