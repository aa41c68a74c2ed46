"""Who may manage a course's question bank and quizzes (courses.quiz_permissions): exactly
those who may edit the course page; another city's trainer never."""

import pytest
from django.contrib.auth.models import AnonymousUser

from courses import quiz_permissions as perms
from tests import quiz_factories as qf
from tests.courses.conftest import make_course
from tests.factories import national_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(jakarta, sorong, catalogue):
    """A course with a category, a question and a quiz in Jakarta, Sorong and nationally."""
    result = {}
    for name, parent in (
        ("jakarta", jakarta.curriculum),
        ("sorong", sorong.curriculum),
        ("national", catalogue),
    ):
        course = make_course(parent, title=f"Kursus {name}")
        category = qf.category(course, f"Kategori {name}")
        question = qf.single_choice(category, name=f"Soal {name}")
        quiz = qf.quiz(course, title=f"Kuis {name}", questions=[question])
        result[name] = {"course": course, "category": category, "question": question, "quiz": quiz}
    return result


class CourseRuleTests:
    def test_trainer_manages_own_city_courses_only(self, jakarta, bank):
        courses = set(perms.courses_manageable_by(jakarta.trainer))

        assert bank["jakarta"]["course"] in courses
        assert bank["sorong"]["course"] not in courses
        assert bank["national"]["course"] not in courses

    def test_city_admin_manages_own_city_courses_only(self, sorong, bank):
        courses = set(perms.courses_manageable_by(sorong.admin))

        assert courses == {bank["sorong"]["course"]}

    def test_national_admin_manages_the_national_catalogue(self, bank):
        courses = set(perms.courses_manageable_by(national_admin()))

        assert courses == {bank["national"]["course"]}

    def test_superuser_manages_everything(self, bank, django_user_model):
        root = django_user_model.objects.create_superuser("akar", "akar@example.id", "x")

        assert set(perms.courses_manageable_by(root)) == {b["course"] for b in bank.values()}

    @pytest.mark.parametrize("who", ["anonymous", "learner", "inactive"])
    def test_others_manage_nothing(self, jakarta, bank, who):
        if who == "anonymous":
            user = AnonymousUser()
        elif who == "learner":
            user = jakarta.learner()
        else:
            user = jakarta.trainer
            user.is_active = False
        assert not perms.courses_manageable_by(user).exists()
        assert not perms.questions_for(user).exists()
        assert not perms.quizzes_for(user).exists()
        assert not perms.manages_any_course(user)

    def test_queryset_agrees_with_wagtail_can_edit(self, jakarta, sorong, bank):
        """The queryset is the same rule as the page editor's can_edit, user by user."""
        users = [jakarta.trainer, jakarta.admin, sorong.trainer, sorong.admin, national_admin()]
        for user in users:
            manageable = set(perms.courses_manageable_by(user))
            for entry in bank.values():
                course = entry["course"]
                assert (course in manageable) == course.permissions_for_user(user).can_edit()
                assert (course in manageable) == perms.can_manage_course(user, course)


class BankScopeTests:
    def test_jakarta_trainer_sees_only_jakarta_bank(self, jakarta, bank):
        user = jakarta.trainer

        assert list(perms.questions_for(user)) == [bank["jakarta"]["question"]]
        assert list(perms.categories_for(user)) == [bank["jakarta"]["category"]]
        assert list(perms.quizzes_for(user)) == [bank["jakarta"]["quiz"]]

    def test_policy_refuses_sorong_rows_to_jakarta_trainer(self, jakarta, bank):
        user = jakarta.trainer
        for policy, kind in (
            (perms.question_policy, "question"),
            (perms.category_policy, "category"),
            (perms.quiz_policy, "quiz"),
        ):
            for action in ("change", "delete"):
                assert policy.user_has_permission_for_instance(user, action, bank["jakarta"][kind])
                assert not policy.user_has_permission_for_instance(
                    user, action, bank["sorong"][kind]
                )

    def test_querysets_cost_constant_queries(self, jakarta, bank, django_assert_max_num_queries):
        for n in range(20):
            qf.single_choice(bank["jakarta"]["category"], name=f"Tambahan {n}")
        user = jakarta.trainer
        perms.courses_manageable_by(user)  # reads (and caches) the page permissions

        with django_assert_max_num_queries(1):
            assert len(list(perms.questions_for(user))) == 21
        with django_assert_max_num_queries(1):
            assert len(list(perms.quizzes_for(user))) == 1
