from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.template import engines
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cachekit.routes import cache_response

RENDERS = {"count": 0}


class WhoAmIView(APIView):
    permission_classes = [IsAuthenticated]

    @cache_response(namespace="testapp", ttl=60)
    def get(self, request: Request) -> Response:
        RENDERS["count"] += 1
        return Response({"username": request.user.username, "render": RENDERS["count"]})


@cache_response(namespace="testapp", ttl=60)
def greeting_page(request: HttpRequest) -> HttpResponse:
    RENDERS["count"] += 1
    who = request.user.username if request.user.is_authenticated else "guest"
    return HttpResponse(f"hello {who} #{RENDERS['count']}")


@cache_response(namespace="testapp", ttl=60, per_user=False)
def missing_page(request: HttpRequest) -> HttpResponse:
    RENDERS["count"] += 1
    return HttpResponse("nope", status=404)


_FORM = engines["django"].from_string(
    "<form method=post>{% csrf_token %}</form>{% for m in messages %}<p>{{ m }}</p>{% endfor %}"
    "#{{ render }}"
)


@cache_response(namespace="testapp", ttl=60)
def form_page(request: HttpRequest) -> HttpResponse:
    RENDERS["count"] += 1
    return HttpResponse(_FORM.render({"render": RENDERS["count"]}, request))


@cache_response(namespace="testapp", ttl=60)
def cookie_page(request: HttpRequest) -> HttpResponse:
    RENDERS["count"] += 1
    response = HttpResponse(f"#{RENDERS['count']}")
    response.set_cookie("seen", "1")
    return response


def add_message(request: HttpRequest) -> HttpResponse:
    messages.success(request, "saved!")
    return HttpResponse("ok")
