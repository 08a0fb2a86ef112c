import time

import pytest

from tenants.models import AuditLog


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_against_the_test_database(celery_worker_process, tenant_a):
    celery_worker_process.send_task("inbox.ping_database", args=[tenant_a.pk, "worker.ping"])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if AuditLog.objects.filter(tenant=tenant_a, action="worker.ping").exists():
            return
        time.sleep(0.2)
    pytest.fail("the worker never ran the task")
