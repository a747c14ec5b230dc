"""Camera supervision as plain Python: state and restart backoff, stage assignment, the view, validation.

The controller actor (``pictag.actors.controller``) holds the Ray handles and calls these;
refusals are `pictag.cameras.errors.RequestRefused` subclasses that the API maps to HTTP.
"""
