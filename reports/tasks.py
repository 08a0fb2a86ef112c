"""Thin Celery tasks of the reports."""

from celery import shared_task

from .services import report_sweep


@shared_task(name="reports.sweep", ignore_result=True)
def reports_sweep_task() -> int:
    """The incremental job: refresh the rollups of conversations changed since the last run."""
    return report_sweep()
