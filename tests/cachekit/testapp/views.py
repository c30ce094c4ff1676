from django.http import HttpRequest, HttpResponse
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
