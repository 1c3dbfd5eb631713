"""The project's URLs plus one view that breaks, for the 500 page's test (pytest.mark.urls)."""

from django.urls import path

from gbp_scheduler.urls import urlpatterns as project_urlpatterns


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", broken), *project_urlpatterns]
