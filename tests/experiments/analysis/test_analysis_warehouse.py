"""An experiment whose exposures are a table in a PostgreSQL warehouse.

The warehouse is a real PostgreSQL database (from ``PILOTHOUSE_TEST_DATABASE_URL``)
with the exposures in ``analytics.exposures`` and the events in a renamed table and
column (``analytics.tracks.occurred_at``, mapped in ``connections.yaml``), JSON as
``jsonb`` and timestamps with a time zone. The analysis runs through the service with
the connection's adapter, and its sufficient statistics equal the plain computation.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.experiments import registry
from pilothouse.experiments.analysis import service
from pilothouse.experiments.models import MetricRole
from tests.experiments.analysis import synthetic as syn

TABLES = """
CREATE SCHEMA analytics;
CREATE TABLE analytics.exposures (
    unit_id text, experiment text, variation text, exposed_at timestamptz);
CREATE TABLE analytics.tracks (
    message_id text, event text, user_id text, anonymous_id text, account_id text,
    occurred_at timestamptz, received_at timestamptz, properties jsonb, source_id integer);
CREATE TABLE analytics.users (
    user_id text, traits jsonb, first_seen_at timestamptz, updated_at timestamptz);
"""


@pytest.fixture(scope="module")
def warehouse(database_factory: Any) -> tuple[str, syn.Data]:
    """A PostgreSQL warehouse filled once with seeded exposures, events and traits."""
    data = syn.generate(seed=11, units=700)
    url = database_factory.new_url("postgresql")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(TABLES)
        with cursor.copy("COPY analytics.exposures FROM STDIN") as copy:
            for unit, experiment, variation, ts, _ in data.exposures:
                copy.write_row((unit, experiment, variation, ts))
        with cursor.copy(
            "COPY analytics.tracks (message_id, event, user_id, occurred_at, received_at, "
            "properties) FROM STDIN"
        ) as copy:
            for index, (event, unit, ts, props) in enumerate(data.events):
                copy.write_row((f"m{index}", event, unit, ts, ts, json.dumps(props)))
        with cursor.copy("COPY analytics.users (user_id, traits) FROM STDIN") as copy:
            for unit, traits in data.traits.items():
                copy.write_row((unit, json.dumps(traits)))
    return url, data


def _connections(runtime: Runtime, url: str) -> None:
    document = {
        "version": 1,
        "connections": [
            {
                "name": "dwh",
                "kind": "postgres",
                "url": url,
                "schema": {
                    "events": {
                        "name": "tracks",
                        "schema": "analytics",
                        "columns": {"timestamp": "occurred_at"},
                    },
                    "users": {"schema": "analytics"},
                },
            }
        ],
    }
    runtime.settings.effective_connections_path.write_text(json.dumps(document))


def test_an_exposure_table_in_postgres_gives_the_reference_statistics(
    runtime: Runtime, warehouse: tuple[str, syn.Data]
) -> None:
    url, data = warehouse
    _connections(runtime, url)
    folder = runtime.settings.effective_metrics_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shop.yaml").write_text(syn.CATALOG_YAML)
    design = registry.ExperimentDesign(
        name="Warehouse checkout test",
        variations=[
            registry.VariationSpec("control", "Control", 0.5),
            registry.VariationSpec("treatment", "Treatment", 0.5),
        ],
        exposure={
            "kind": "table",
            "connection": "dwh",
            "table": "analytics.exposures",
            "unit_column": "unit_id",
            "experiment_column": "experiment",
            "variation_column": "variation",
            "timestamp_column": "exposed_at",
            "tracking_key": syn.EXPERIMENT,
        },
        metrics=[registry.MetricChoice(m, MetricRole.secondary) for m in syn.METRICS],
        analysis={
            **syn.SETTINGS,
            "dimensions": ["country"],
            "start": syn.START.isoformat(),
            "end": syn.END.isoformat(),
        },
    )
    actor = Actor.command_line()
    with runtime.database.session() as session:
        experiment = registry.create_experiment(session, actor, design)
        snapshot = service.analyze_experiment(session, runtime, actor, experiment)
        plan = service.plan_for(runtime, experiment)
    assert snapshot.succeeded, snapshot.error
    results = snapshot.results
    assert results["dialect"] == "postgres" and results["source"] == "dwh"
    assert '"analytics"."exposures"' in results["sql"]["exposures"]
    units, multiple = syn.units(data)
    assert results["exposures"] == {"units": len(units), "multiple_variations": multiple}

    def by_variation(unit: syn.Unit) -> list[tuple[Any, ...]]:
        return [(None, None, unit.variation)]

    expected = syn.expected_sums(data, plan, by_variation)
    for metric in results["metrics"]:
        assert metric["error"] is None, metric
        for variation, sums in metric["statistics"].items():
            want = expected[(None, None, variation)][metric["metric"]]
            assert sums["users"] == want["users"]
            for name, value in want.items():
                assert sums.get(name, 0.0) == pytest.approx(value, rel=1e-9, abs=1e-9), (
                    metric["metric"],
                    variation,
                    name,
                )
    countries = {d["value"] for d in results["metrics"][0]["dimensions"]}
    assert {"US", "UK"} <= countries
