"""Everything that speaks to Google, in one folder:

- `oauth`: the OAuth client (consent URL, code exchange, refresh, revoke) through google-auth;
- `tokens`: a franchise's access token, refreshed once across processes, and what happens when
  Google refuses the grant (flag, email the admins);
- `business_profile`: the Business Profile API (accounts, locations, local posts) over httpx;
- `quota`: the request pacing that keeps a run under Google's per-minute quota;
- `connect`: connecting a franchise (consent, callback, location pick, disconnect).

Nothing else in the project sends a request to Google. Submodules are imported where used, so
code that never calls Google never loads google-auth or httpx.
"""
