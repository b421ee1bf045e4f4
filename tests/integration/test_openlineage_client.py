"""Events from the real openlineage-python client (HTTP transport, API key, gzip) to the service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from openlineage.client.client import OpenLineageClient
from openlineage.client.event_v2 import (
    DatasetEvent,
    InputDataset,
    Job,
    JobEvent,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
    StaticDataset,
)
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    data_quality_metrics_input_dataset,
    dataset_version_dataset,
    datasource_dataset,
    environment_variables_run,
    error_message_run,
    job_type_job,
    lifecycle_state_change_dataset,
    nominal_time_run,
    output_statistics_output_dataset,
    ownership_job,
    parent_run,
    processing_engine_run,
    schema_dataset,
    source_code_job,
    source_code_location_job,
    sql_job,
    tags_run,
)
from openlineage.client.transport.http import HttpCompression, HttpTransport

from tests.integration.openlineage_support import Graph

InputQuality = data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet
PRODUCER = "https://github.com/example/pipelines/tree/1.0"
WAREHOUSE = "postgres://warehouse:5432"


def _client(url: str, token: str) -> OpenLineageClient:
    client = OpenLineageClient(
        config={
            "transport": {
                "type": "http",
                "url": url,
                "endpoint": "api/v1/lineage",
                "auth": {"type": "api_key", "apiKey": token},
                "compression": "gzip",
                "timeout": 30,
            }
        }
    )
    transport = client.transport
    assert isinstance(transport, HttpTransport)
    assert transport.compression is HttpCompression.GZIP
    assert transport.config.auth.get_bearer() == f"Bearer {token}"
    return client


@pytest.fixture
def client(live_service):
    client = _client(live_service.url, "not-checked-while-auth-is-off")
    yield client
    client.close()


@pytest.fixture
def graph(live_service, driver, catalog):
    return Graph(driver, catalog, live_service.settings)


def _time(seconds: float) -> str:
    return (datetime(2024, 6, 1, 3, 0, tzinfo=UTC) + timedelta(seconds=seconds)).isoformat()


def _job(name: str) -> Job:
    return Job(
        namespace="airflow-prod",
        name=name,
        facets={
            "sql": sql_job.SQLJobFacet(
                query="INSERT INTO daily SELECT * FROM orders", dialect="postgres"
            ),
            "sourceCode": source_code_job.SourceCodeJobFacet(
                language="python", sourceCode="print(1)"
            ),
            "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet(
                type="git",
                url="https://github.com/example/pipelines/blob/4f1c2d/dags/daily.py",
                repoUrl="https://github.com/example/pipelines.git",
                path="dags/daily.py",
                version="4f1c2d9e",
                branch="main",
            ),
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="AIRFLOW", jobType="TASK"
            ),
            "ownership": ownership_job.OwnershipJobFacet(
                owners=[ownership_job.Owner(name="team:data-eng", type="MAINTAINER")]
            ),
        },
    )


def test_run_events_with_standard_facets(client, graph):
    run_id, parent_id = str(uuid.uuid4()), str(uuid.uuid4())
    run_facets = {
        "parent": parent_run.ParentRunFacet(
            run=parent_run.Run(runId=parent_id),
            job=parent_run.Job(namespace="airflow-prod", name="daily_dag"),
        ),
        "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
            version="2.9.1", name="Airflow", openlineageAdapterVersion="1.54.0"
        ),
        "environmentVariables": environment_variables_run.EnvironmentVariablesRunFacet(
            environmentVariables=[
                environment_variables_run.EnvironmentVariable(name="STAGE", value="prod")
            ]
        ),
        "nominalTime": nominal_time_run.NominalTimeRunFacet(
            nominalStartTime="2024-06-01T03:00:00Z"
        ),
        "tags": tags_run.TagsRunFacet(
            tags=[tags_run.TagsRunFacetFields(key="team", value="data-eng")]
        ),
    }
    orders = InputDataset(
        namespace=WAREHOUSE,
        name="shop.public.orders",
        facets={
            "schema": schema_dataset.SchemaDatasetFacet(
                fields=[schema_dataset.SchemaDatasetFacetFields(name="id", type="INTEGER")]
            ),
            "dataSource": datasource_dataset.DatasourceDatasetFacet(
                name="warehouse", uri=WAREHOUSE
            ),
        },
        inputFacets={"dataQualityMetrics": InputQuality(rowCount=1200, columnMetrics={})},
    )
    daily_facets = {
        "schema": schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(name="day", type="DATE")]
        ),
        "columnLineage": column_lineage_dataset.ColumnLineageDatasetFacet(
            fields={
                "day": column_lineage_dataset.Fields(
                    inputFields=[
                        column_lineage_dataset.InputField(
                            namespace=WAREHOUSE, name="shop.public.orders", field="created_at"
                        )
                    ]
                )
            }
        ),
        "lifecycleStateChange": lifecycle_state_change_dataset.LifecycleStateChangeDatasetFacet(
            lifecycleStateChange=lifecycle_state_change_dataset.LifecycleStateChange.OVERWRITE
        ),
    }
    daily = OutputDataset(namespace=WAREHOUSE, name="shop.public.daily", facets=daily_facets)
    client.emit(
        RunEvent(
            eventType=RunState.START,
            eventTime=_time(0),
            run=Run(runId=run_id, facets=run_facets),
            job=_job("daily_dag.load"),
            producer=PRODUCER,
            inputs=[orders],
            outputs=[daily],
        )
    )
    stats = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
        rowCount=30, size=4096
    )
    client.emit(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=_time(60),
            run=Run(runId=run_id),
            job=_job("daily_dag.load"),
            producer=PRODUCER,
            outputs=[
                OutputDataset(
                    namespace=WAREHOUSE,
                    name="shop.public.daily",
                    facets=daily_facets,
                    outputFacets={"outputStatistics": stats},
                )
            ],
        )
    )

    run = graph.run(f"run:{run_id}")
    assert run is not None
    assert run["status"] == "COMPLETED"
    assert (run["jobNamespace"], run["jobName"]) == ("airflow-prod", "daily_dag.load")
    assert run["parents"] == [f"run:{parent_id}"]
    code = {k: v for k, v in run["code"].items() if v is not None}
    assert run["codeCommit"] == "4f1c2d9e"
    assert code == {
        "commit": "4f1c2d9e",
        "branch": "main",
        "remote_url": "https://github.com/example/pipelines.git",
        "entry_point": "dags/daily.py",
    }
    assert run["environment"]["packages"] == {
        "Airflow": "2.9.1",
        "openlineage-integration": "1.54.0",
    }
    tags = run["tags"]  # tagKeys/tagValues, decoded
    assert tags["team"] == "data-eng"
    assert tags["openlineage.integration"] == "AIRFLOW"
    assert tags["openlineage.owners"] == "team:data-eng"
    assert tags["openlineage.nominalStartTime"] == "2024-06-01T03:00:00Z"
    job_facets = run["olJobFacets"]
    assert job_facets["sql"]["query"].startswith("INSERT INTO daily")
    assert job_facets["sourceCode"]["sourceCode"] == "print(1)"
    assert run["olRunFacets"]["environmentVariables"]["environmentVariables"] == [
        {"name": "STAGE", "value": "prod"}
    ]

    orders_ref = f"dataset:{WAREHOUSE}/shop.public.orders@unknown"
    daily_ref = f"dataset:{WAREHOUSE}/shop.public.daily@run-{run_id}"
    assert run["consumed"] == [(orders_ref, "time")]
    assert run["produced"] == [daily_ref]
    source = graph.snapshot(orders_ref)
    assert source["rowCount"] == 1200
    assert set(source["olFacets"]) == {"schema", "dataSource", "dataQualityMetrics"}
    output = graph.snapshot(daily_ref)
    assert output["status"] == "AVAILABLE"
    assert (output["rowCount"], output["sizeBytes"]) == (30, 4096)
    facets = output["olFacets"]
    assert facets["columnLineage"]["fields"]["day"]["inputFields"][0]["field"] == "created_at"
    assert facets["lifecycleStateChange"]["lifecycleStateChange"] == "OVERWRITE"


def test_failed_run_and_named_versions(client, graph):
    run_id = str(uuid.uuid4())
    version = {"version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion="8812")}
    client.emit(
        RunEvent(
            eventType=RunState.FAIL,
            eventTime=_time(5),
            producer=PRODUCER,
            job=_job("spark.ingest"),
            run=Run(
                runId=run_id,
                facets={
                    "errorMessage": error_message_run.ErrorMessageRunFacet(
                        message="Table not found: raw.events", programmingLanguage="JAVA"
                    )
                },
            ),
            inputs=[InputDataset(namespace="s3://lake", name="raw/events", facets=version)],
        )
    )
    run = graph.run(f"run:{run_id}")
    assert run["status"] == "FAILED"
    assert run["errorMessage"] == "Table not found: raw.events"
    assert run["consumed"] == [("dataset:s3://lake/raw/events@8812", "version")]


def test_dataset_and_job_events(client, graph):
    client.emit(
        DatasetEvent(
            eventTime=_time(0),
            producer=PRODUCER,
            dataset=StaticDataset(
                namespace=WAREHOUSE,
                name="shop.public.customers",
                facets={
                    "schema": schema_dataset.SchemaDatasetFacet(
                        fields=[schema_dataset.SchemaDatasetFacetFields(name="email", type="TEXT")]
                    )
                },
            ),
        )
    )
    client.emit(
        JobEvent(
            eventTime=_time(0),
            producer=PRODUCER,
            job=_job("nightly.export"),
            inputs=[InputDataset(namespace=WAREHOUSE, name="shop.public.customers")],
            outputs=[OutputDataset(namespace="s3://exports", name="customers.csv")],
        )
    )
    assert graph.counts()[0] == 2  # the two datasets; no run for a JobEvent


def test_legacy_1_0_5_client_classes(client, graph):
    import openlineage.client.facet as legacy_facet
    import openlineage.client.run as legacy

    run_id = str(uuid.uuid4())
    event = legacy.RunEvent(
        eventType=legacy.RunState.COMPLETE,
        eventTime=_time(0),
        run=legacy.Run(runId=run_id),
        job=legacy.Job(
            namespace="legacy", name="old_job", facets={"sql": legacy_facet.SqlJobFacet("select 1")}
        ),
        producer=PRODUCER,
        inputs=[legacy.Dataset(namespace=WAREHOUSE, name="a")],
        outputs=[legacy.Dataset(namespace=WAREHOUSE, name="b")],
    )
    assert "1-0-5" in event.schemaURL
    client.emit(event)
    run = graph.run(f"run:{run_id}")
    assert run["status"] == "COMPLETED"
    assert run["produced"] == [f"dataset:{WAREHOUSE}/b@run-{run_id}"]


def test_client_sees_400_for_a_bad_event(client, graph):
    before = graph.counts()
    # the client checks eventTime and runId itself, not what a facet under a standard key holds
    wrong_shape = sql_job.SQLJobFacet(query="select 1")
    bad = RunEvent(
        eventType=RunState.START,
        eventTime=_time(0),
        producer=PRODUCER,
        run=Run(runId=str(uuid.uuid4()), facets={"nominalTime": wrong_shape}),
        job=_job("x"),
    )
    with pytest.raises(requests.HTTPError) as caught:
        client.emit(bad)
    assert caught.value.response.status_code == 400
    error = caught.value.response.json()["error"]
    assert error["field"] == "run.facets.nominalTime.nominalStartTime"
    assert graph.counts() == before
