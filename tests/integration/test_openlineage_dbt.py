"""End to end with a real integration: a tiny dbt project on DuckDB, run by `dbt-ol run`.

The wrapper sends its OpenLineage events through the openlineage-python HTTP transport (gzip, API
key: a write token the service issued, auth on) to the running service. The graph must then show
every model's inputs and outputs exactly as the project's ref()s and sources declare them (read
back from dbt's own manifest). Offline: the proxy variables point at a closed port, so any attempt
to reach beyond loopback fails the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from lineagegraph.config import Settings
from lineagegraph.graph.tokens import TokenStore
from tests.conftest import LiveService, run_service
from tests.integration.openlineage_support import Graph

NAMESPACE = "dbt-tests"

MODELS = {
    "stg_orders": "select id, customer_id, amount from {{ source('raw', 'orders') }}",
    "stg_customers": "select id, name from {{ source('raw', 'customers') }}",
    "customer_totals": (
        "select c.id, c.name, sum(o.amount) as total\n"
        "from {{ ref('stg_customers') }} c join {{ ref('stg_orders') }} o on o.customer_id = c.id\n"
        "group by 1, 2"
    ),
    "big_customers": "select * from {{ ref('customer_totals') }} where total > 6",
}


def _project(root: Path, url: str, token: str) -> Path:
    import duckdb

    project = root / "shop"
    (project / "models").mkdir(parents=True)
    database = project / "shop.duckdb"
    (project / "dbt_project.yml").write_text(
        textwrap.dedent(
            """\
            name: shop
            version: "1.0"
            config-version: 2
            profile: shop
            model-paths: ["models"]
            flags:
              send_anonymous_usage_stats: false
            """
        )
    )
    profiles = {
        "shop": {
            "target": "dev",
            "outputs": {"dev": {"type": "duckdb", "path": str(database), "threads": 1}},
        }
    }
    (project / "profiles.yml").write_text(yaml.safe_dump(profiles))
    sources = {
        "version": 2,
        "sources": [
            {"name": "raw", "schema": "raw", "tables": [{"name": "orders"}, {"name": "customers"}]}
        ],
    }
    (project / "models" / "sources.yml").write_text(yaml.safe_dump(sources))
    for name, sql in MODELS.items():
        (project / "models" / f"{name}.sql").write_text(sql + "\n")
    connection = duckdb.connect(str(database))
    connection.execute("create schema raw")
    connection.execute(
        "create table raw.orders as select * from "
        "(values (1, 1, 10.0), (2, 1, 5.0), (3, 2, 7.5)) t(id, customer_id, amount)"
    )
    connection.execute(
        "create table raw.customers as select * from (values (1, 'ann'), (2, 'bob')) t(id, name)"
    )
    connection.close()
    transport = {
        "transport": {
            "type": "http",
            "url": url,
            "endpoint": "api/v1/lineage",
            "compression": "gzip",
            "auth": {"type": "api_key", "apiKey": token},
            "timeout": 30,
        }
    }
    (project / "openlineage.yml").write_text(yaml.safe_dump(transport))
    return project


def _dbt_ol(project: Path) -> subprocess.CompletedProcess[str]:
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(project),
        "OPENLINEAGE_CONFIG": str(project / "openlineage.yml"),
        "OPENLINEAGE_NAMESPACE": NAMESPACE,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        # Offline: anything that is not loopback goes to a closed port and fails.
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return subprocess.run(
        [
            f"{venv_bin}/dbt-ol",
            "run",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _declared(project: Path, namespace: str) -> dict[str, tuple[set[str], str]]:
    """From dbt's manifest: model -> (input dataset refs, output dataset ref)."""
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    nodes = {**manifest["nodes"], **manifest["sources"]}

    def dataset_ref(node: dict[str, object]) -> str:
        table = node.get("alias") or node.get("identifier") or node["name"]
        return f"dataset:{namespace}/{node['database']}.{node['schema']}.{table}"

    declared = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        inputs = {dataset_ref(nodes[dep]) for dep in node["depends_on"]["nodes"]}
        declared[node["name"]] = (inputs, dataset_ref(node))
    return declared


@pytest.fixture
def secured(settings: Settings) -> Iterator[LiveService]:
    """The service with auth on: dbt-ol sends a write token the service issued."""
    with run_service(settings.model_copy(update={"auth_enabled": True})) as service:
        yield service


@pytest.mark.timeout(400)
def test_dbt_ol_run_builds_the_declared_lineage(tmp_path, secured, driver, catalog):
    live_service = secured
    token = TokenStore(driver, secured.settings.neo4j_database, catalog).create("write", "dbt")
    project = _project(tmp_path, live_service.url, token.secret)
    result = _dbt_ol(project)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Emitted" in result.stdout, result.stdout[-2000:]

    graph = Graph(driver, catalog, live_service.settings)
    warehouse = f"duckdb://{project / 'shop.duckdb'}"
    declared = _declared(project, warehouse)
    assert set(declared) == set(MODELS)
    runs = graph.job_runs(NAMESPACE)
    by_model = {run["jobName"].rsplit(".", 1)[-1]: run for run in runs}
    parent_runs = [run for run in runs if run["jobName"] == "dbt-run-shop"]
    assert len(parent_runs) == 1
    parent = parent_runs[0]
    assert parent["status"] == "COMPLETED"

    producer_of: dict[str, str] = {}
    for model, (inputs, output) in declared.items():
        run = by_model[model]
        assert run["status"] == "COMPLETED", model
        assert run["parents"] == [parent["ref"]], model
        # each output is one new snapshot of the model's table, produced by this run
        (produced,) = run["outputs"]
        assert produced == f"{output}@run-{run['ref'].removeprefix('run:')}", model
        producer_of[output] = run["ref"]
        consumed = {ref.rpartition("@")[0] for ref in run["inputs"]}
        assert consumed == inputs, model
    for model in declared:
        for ref in by_model[model]["inputs"]:
            dataset, _, version = ref.rpartition("@")
            snapshot = graph.snapshot(ref)
            assert snapshot is not None
            if dataset in producer_of:
                # a ref() binds to the snapshot the upstream model's run wrote in this dbt run
                assert snapshot["producers"] == [producer_of[dataset]], (model, ref)
                assert snapshot["status"] == "AVAILABLE"
            else:
                # a source nobody produced: the placeholder snapshot
                assert version == "unknown", (model, ref)
                assert snapshot["producers"] == []
    # dbt's facets are kept: SQL on the job, column lineage on the output
    totals = graph.run(by_model["customer_totals"]["ref"])
    assert "sum(o.amount)" in totals["olJobFacets"]["sql"]["query"]
    assert totals["tags"]["openlineage.integration"] == "DBT"
    assert totals["tags"]["openlineage.jobType"] == "MODEL"
    output = graph.snapshot(totals["produced"][0])
    assert output["olFacets"]["columnLineage"]["fields"]["total"]["inputFields"][0]["field"] == (
        "amount"
    )
    assert graph.drift() == (0, 0)
