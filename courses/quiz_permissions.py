"""Who may manage a course's question bank and quizzes: the one place for that rule.

A user may manage the questions, categories and quizzes of a course exactly when they may
edit the course page in Wagtail (``course.permissions_for_user(user).can_edit()``):
trainers and admins of a city for their city curriculum's courses, national admins for
the national catalogue, superusers everywhere. Page permissions already encode the
per-city rules (courses.services.city_curriculum_rights_install), so the quiz engine adds
no second set of rules that could drift from them.

The querysets below are lazy and cost a constant number of queries whatever the size of
the bank: the user's page permissions are read once (Wagtail caches them on the user)
and the rest is one subquery.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permission_policies.pages import PagePermissionPolicy

from courses.models import CoursePage
from courses.quiz_models import Question, QuestionCategory, Quiz

_course_policy = PagePermissionPolicy(CoursePage)
_ANY_COURSE_CACHE = "_quiz_manages_any_course"


def _is_staff_candidate(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def courses_manageable_by(user) -> QuerySet[CoursePage]:
    """Courses whose bank and quizzes the user may manage (those they may edit)."""
    if not _is_staff_candidate(user):
        return CoursePage.objects.none()
    if user.is_superuser:
        return CoursePage.objects.all()
    # Same reading of page permissions as PagePermissionTester.can_edit: "change" on an
    # ancestor, or "add" on an ancestor for pages the user owns. (can_edit also lets a
    # workflow's approvers edit a page in moderation; here those are the city admins,
    # who hold "change" on their subtree anyway.)
    return _course_policy.instances_user_has_permission_for(user, "change")


def can_manage_course(user, course: CoursePage | None) -> bool:
    if course is None or not _is_staff_candidate(user):
        return False
    return course.permissions_for_user(user).can_edit()


def manages_any_course(user) -> bool:
    """Whether the quiz screens are open to the user at all (cached on the user object,
    because admin listings ask it once per row)."""
    if not _is_staff_candidate(user):
        return False
    cached = getattr(user, _ANY_COURSE_CACHE, None)
    if cached is None:
        cached = user.is_superuser or courses_manageable_by(user).exists()
        setattr(user, _ANY_COURSE_CACHE, cached)
    return cached


def categories_for(user) -> QuerySet[QuestionCategory]:
    if _is_staff_candidate(user) and user.is_superuser:
        return QuestionCategory.objects.all()
    return QuestionCategory.objects.filter(course__in=courses_manageable_by(user).values("pk"))


def questions_for(user) -> QuerySet[Question]:
    if _is_staff_candidate(user) and user.is_superuser:
        return Question.objects.all()
    return Question.objects.filter(category__course__in=courses_manageable_by(user).values("pk"))


def quizzes_for(user) -> QuerySet[Quiz]:
    if _is_staff_candidate(user) and user.is_superuser:
        return Quiz.objects.all()
    return Quiz.objects.filter(course__in=courses_manageable_by(user).values("pk"))


def course_id_of(instance) -> int | None:
    """The course a bank object belongs to, without a query when it is already loaded."""
    if isinstance(instance, Question):
        category = instance.category if instance.category_id else None
        return category.course_id if category is not None else None
    return getattr(instance, "course_id", None)


class CourseContentPolicy(BasePermissionPolicy):
    """Wagtail permission policy for the bank and quizzes, delegating to the rule above.

    No Django model permission is involved: holding edit rights on a course page is what
    opens its bank, so nobody has to keep a second set of group permissions in step.
    """

    def __init__(self, model, scoped):
        super().__init__(model)
        self._scoped = scoped

    def user_has_permission(self, user, action):
        return manages_any_course(user)

    def user_has_any_permission(self, user, actions):
        return manages_any_course(user)

    def user_has_permission_for_instance(self, user, action, instance):
        if not manages_any_course(user):
            return False
        if user.is_superuser:
            return True
        course_id = course_id_of(instance)
        return course_id is not None and courses_manageable_by(user).filter(pk=course_id).exists()

    def instances_user_has_any_permission_for(self, user, actions):
        return self._scoped(user)

    def users_with_any_permission(self, actions):
        editors = Q(is_superuser=True) | Q(
            groups__page_permissions__permission__codename__in=["add_page", "change_page"]
        )
        return get_user_model().objects.filter(is_active=True).filter(editors).distinct()


question_policy = CourseContentPolicy(Question, questions_for)
category_policy = CourseContentPolicy(QuestionCategory, categories_for)
quiz_policy = CourseContentPolicy(Quiz, quizzes_for)
