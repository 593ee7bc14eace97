"""The web pages: server-rendered HTML for practitioners and coordinators at `/`.

They sit on the same service functions as the /v1 API and add only what a browser needs:
sign-in with a session cookie, CSRF-checked forms, and pages that work without JavaScript.
"""
