"""The demo's logins (`make run`): shown last by make run's banner and, in demo mode only, on the
sign-in page. Imports nothing, so scripts/run_local.py reads it without setting Django up."""

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "demo-admin-password"
# (username, password, who they are)
DEMO_LOGINS = [
    (DEMO_USERNAME, DEMO_PASSWORD, "headquarters (superuser): every franchise, metrics, system"),
    ("ohio-admin", "demo-franchise-admin", "franchise admin of Cincinnati, Dayton and Columbus"),
    ("cincy-staff", "demo-franchise-staff", "staff of Cincinnati"),
]
