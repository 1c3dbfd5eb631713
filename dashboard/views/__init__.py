"""The top-level pages: home (home.py) and headquarters' pages (headquarters.py)."""
