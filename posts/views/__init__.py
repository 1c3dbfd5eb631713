"""The posts dashboard: thin views over posts.selectors (reads) and posts.services (writes)."""
