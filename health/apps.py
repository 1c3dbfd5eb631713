from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "health"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every job's run is recorded here (gbp_scheduler cannot import this app: it sits below).
        from gbp_scheduler.jobs import job_finished

        from .job_runs import job_run_record_received

        job_finished.connect(job_run_record_received, dispatch_uid="health.job_run_record")
