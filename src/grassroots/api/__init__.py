"""The API's shared parts: authentication (auth), error handlers (errors), pagination and shared
schemas; the root NinjaAPI that assembles each app's router is in `grassroots.api.root`.

The root is a module of its own so that the apps' routers may import the shared parts without
importing one another.
"""
