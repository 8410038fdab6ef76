"""The ceiling every figure is measured against: a bare Pyramid app answering a small
JSON document (no database, no tweens), served by the same server with the same
workers as MakePlus in the same run."""
from pyramid.config import Configurator
from pyramid.response import Response

BODY = b'{"status":"ok","hello":"world"}'


def hello(request):
    return Response(body=BODY, content_type="application/json")


def make_app():
    with Configurator() as config:
        config.add_route("hello", "/")
        config.add_view(hello, route_name="hello")
        return config.make_wsgi_app()


application = make_app()
