"""The franchises app's pages: pages.py (list, franchise page, settings, members) and google.py
(connecting franchises to Google, one at a time or many at once)."""
