import pytest


@pytest.mark.django_db
def test_health_reports_the_database_and_in_process_tasks(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("in-process")
    assert response["Cache-Control"].startswith("max-age=0")
