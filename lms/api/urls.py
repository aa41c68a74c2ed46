from django.urls import path

from lms.api import views
from lms.api.api import api

urlpatterns = [
    path("docs", views.docs, name="api-docs"),
    path("v1/", api.urls),
]
