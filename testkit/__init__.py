"""The shared test kit: helpers that tests across apps use, each named for what it makes.

- factories: franchises, posts, users and members, as real rows through the ORM.
- google: franchises connected to Google, in the two senses tests need (a live grant at the local
  sandbox, or a fake grant never used against Google), the bulk helpers, and the checks that
  Google (the sandbox) mirrors the database.
- oauth: driving the sandbox's consent page the way a browser would.
- web: a logged-in test client and the messages a response carries.
- database: the default database made unreachable, and the raw (encrypted) token columns.
- mirror_machine: the state machine that drives staff, jobs and Google's failures at random and
  checks after every step that Google mirrors the database (the posts and chaos suites run it).

The pytest fixtures every app may use are registered in the top-level conftest.py. Helpers that
one app's tests alone need stay in that app's tests/ folder.
"""
