from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin


class IndonesianFirstLocaleMiddleware(MiddlewareMixin):
    """Bahasa Indonesia unless the person chose another language with the switcher.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many phones
    in Indonesia are set to English; the platform speaks Indonesian first by decision.
    The switcher (django.views.i18n.set_language) stores the choice in a cookie.
    """

    def process_request(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
