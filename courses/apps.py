from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses and curricula")

    def ready(self):
        # Quiz engine (quizadmin): lessons resolve quiz keys through this catalogue.
        from courses.activities import ActivityKind, register_catalogue
        from courses.quiz_catalogue import QuizCatalogue

        register_catalogue(ActivityKind.QUIZ, QuizCatalogue())
