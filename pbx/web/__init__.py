"""The web side of the pbx app: the REST API (api.py, serializers.py), the office's pages
(views.py: status, simulator, call history tools) and the dashboard's figures."""
