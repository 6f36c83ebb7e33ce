"""The catalog of validated metrics, and the load/reload rules that protect it.

Loading is all-or-nothing per run: a catalog object only ever holds metrics that
passed every check together. ``reload_catalog`` goes further and never lets an
invalid file replace the valid version already loaded: a broken edit keeps that
file's previous version (or the whole previous catalog, when the mix no longer
validates), and the problems are reported, so a typo pushed to the metrics folder
never takes a certified metric away from the explorer.

Example:
    >>> report = validate_sources({"m.yaml": "metrics: []"})
    >>> report.ok, len(report.catalog)
    (True, 0)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from pilothouse.metrics.definitions.errors import (
    DefinitionProblem,
    ErrorLevel,
    ProblemCollector,
    UnknownDimension,
    UnknownMetric,
    did_you_mean,
)
from pilothouse.metrics.definitions.loader import load_yaml
from pilothouse.metrics.definitions.model import Dimension, Metric, TrackingPlan
from pilothouse.metrics.definitions.parser import FileDefinitions, parse_document
from pilothouse.metrics.definitions.validator import validate_definitions

__all__ = [
    "Catalog",
    "ReloadResult",
    "ValidationReport",
    "load_catalog",
    "parse_sources",
    "read_folder",
    "reload_catalog",
    "validate_folder",
    "validate_sources",
]

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Catalog:
    """Validated metrics and dimensions with lookups; immutable, safe to share."""

    metrics: Mapping[str, Metric] = field(default_factory=dict)
    dimensions: Mapping[str, Dimension] = field(default_factory=dict)
    tracking_plan: TrackingPlan = field(default_factory=TrackingPlan)
    files: Mapping[str, FileDefinitions] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.metrics)

    def __iter__(self) -> Iterator[Metric]:
        return iter(self.metrics.values())

    def __contains__(self, name: object) -> bool:
        return name in self.metrics

    def get(self, name: str) -> Metric:
        """The metric called ``name``; raises :class:`UnknownMetric` with a suggestion."""
        try:
            return self.metrics[name]
        except KeyError:
            hint = did_you_mean(name, self.metrics)
            raise UnknownMetric(f"unknown metric {name!r}{hint}") from None

    def dimension(self, name: str) -> Dimension:
        """The dimension called ``name``; raises :class:`UnknownDimension`."""
        try:
            return self.dimensions[name]
        except KeyError:
            hint = did_you_mean(name, self.dimensions)
            raise UnknownDimension(f"unknown dimension {name!r}{hint}") from None

    def dimensions_for(self, metric: Metric | str) -> tuple[Dimension, ...]:
        """The dimensions a metric may be broken down by (all of them when unrestricted)."""
        metric = self.get(metric) if isinstance(metric, str) else metric
        names = metric.dimensions if metric.dimensions is not None else tuple(self.dimensions)
        return tuple(self.dimensions[n] for n in names if n in self.dimensions)

    def dependencies(self, name: str) -> tuple[str, ...]:
        """Every metric ``name`` is computed from, transitively, nearest first."""
        found: list[str] = []
        queue = list(self.get(name).references)
        while queue:
            current = queue.pop(0)
            if current not in found:
                found.append(current)
                queue.extend(self.metrics[current].references)
        return tuple(found)

    def search(
        self,
        text: str | None = None,
        *,
        product_area: str | None = None,
        owner: str | None = None,
        tag: str | None = None,
        certified: bool | None = None,
    ) -> list[Metric]:
        """Metrics matching every given criterion, sorted by name; ``text`` is a substring."""
        needle = (text or "").casefold()
        return [
            metric
            for metric in sorted(self.metrics.values(), key=lambda m: m.name)
            if (product_area is None or metric.product_area == product_area)
            and (owner is None or metric.owner.casefold() == owner.casefold())
            and (tag is None or tag in metric.tags)
            and (certified is None or metric.certified == certified)
            and needle in f"{metric.name} {metric.label} {metric.description}".casefold()
        ]


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of validating a set of files: every problem, and the catalog if none."""

    problems: tuple[DefinitionProblem, ...]
    catalog: Catalog | None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ReloadResult:
    """Outcome of a reload: always a usable catalog, plus what was refused and why.

    ``catalog`` is the new catalog when everything validated, a mix of new valid
    files and the previous versions of invalid ones when that mix validates, and the
    previous catalog otherwise. ``kept`` names the files whose previous version stayed.
    """

    catalog: Catalog
    problems: tuple[DefinitionProblem, ...]
    kept: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when the catalog reflects every file exactly as it is on disk."""
        return not self.problems


def read_folder(folder: Path) -> dict[str, str]:
    """``{relative path: text}`` of every ``*.yaml``/``*.yml`` under ``folder``, sorted."""
    files = sorted(
        path
        for path in folder.rglob("*")
        if path.suffix in SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )
    return {path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8") for path in files}


def parse_sources(sources: Mapping[str, str]) -> tuple[FileDefinitions, ...]:
    """Parse each ``{file name: YAML text}`` on its own; problems stay per file."""
    parsed = []
    for name, text in sources.items():
        document, problems = load_yaml(text, name)
        if document is None:
            parsed.append(FileDefinitions(name, problems=tuple(problems)))
            continue
        result = parse_document(document)
        if problems:
            result = replace(result, problems=(*problems, *result.problems))
        parsed.append(result)
    return tuple(parsed)


def _assemble(files: Iterable[FileDefinitions]) -> tuple[Catalog, list[DefinitionProblem]]:
    files = tuple(files)
    defs, problems = validate_definitions(files)
    catalog = Catalog(
        metrics={name: metric for name, (metric, _) in sorted(defs.metrics.items())},
        dimensions=dict(sorted(defs.dimensions.items())),
        tracking_plan=defs.plan,
        files={file.file: file for file in files},
    )
    return catalog, problems


def validate_sources(
    sources: Mapping[str, str], level: ErrorLevel = ErrorLevel.COLLECT
) -> ValidationReport:
    """Validate file texts together; the catalog is set only when there is no problem.

    Args:
        sources: ``{file name: YAML text}``; names appear in every problem.
        level: ``COLLECT`` returns problems, ``RAISE`` raises them all together,
            ``IMMEDIATE`` raises at the first file that has one.
    """
    collector = ProblemCollector(level)
    files = parse_sources(sources)
    for file in files:
        collector.extend(file.problems)
    # Cross-file checks see what could be built even from files with problems, so
    # one run reports everything; the catalog exists only when nothing was found.
    catalog, problems = _assemble(files)
    collector.extend(problems)
    found = collector.finish()
    return ValidationReport(found, None if found else catalog)


def validate_folder(folder: Path, level: ErrorLevel = ErrorLevel.COLLECT) -> ValidationReport:
    """:func:`validate_sources` over the YAML files of ``folder``; ``metrics validate`` runs it."""
    if not folder.is_dir():
        problem = DefinitionProblem(str(folder), None, "(folder)", "metrics folder does not exist")
        collector = ProblemCollector(level)
        collector.add(problem)
        return ValidationReport(collector.finish(), None)
    return validate_sources(read_folder(folder), level)


def load_catalog(folder: Path, level: ErrorLevel = ErrorLevel.RAISE) -> Catalog:
    """Load and validate ``folder``; raises :class:`MetricDefinitionError` on any problem.

    ``level`` is ``RAISE`` (every problem in the error) or ``IMMEDIATE`` (the first);
    to collect problems without raising, call :func:`validate_folder`.
    """
    if level is ErrorLevel.COLLECT:
        raise ValueError("load_catalog raises on problems; use validate_folder to collect them")
    report = validate_folder(folder, level)
    assert report.catalog is not None  # RAISE and IMMEDIATE raised otherwise
    return report.catalog


def reload_catalog(previous: Catalog | None, sources: Mapping[str, str] | Path) -> ReloadResult:
    """Reload from a folder or texts without ever dropping valid definitions.

    Args:
        previous: the catalog in use (None at start-up).
        sources: the metrics folder, or ``{file name: YAML text}``.

    Returns:
        A :class:`ReloadResult`; it never raises for problems in the files.
    """
    if isinstance(sources, Path):
        if not sources.is_dir():  # a moved or unmounted folder must not empty the catalog
            problem = DefinitionProblem(
                str(sources), None, "(folder)", "metrics folder does not exist"
            )
            kept = tuple(sorted(previous.files)) if previous else ()
            return ReloadResult(previous or Catalog(), (problem,), kept)
        sources = read_folder(sources)
    old_files = dict(previous.files) if previous else {}
    files = parse_sources(sources)
    problems = [p for f in files for p in f.problems]
    kept = tuple(f.file for f in files if not f.valid and f.file in old_files)
    mixed = [f if f.valid else old_files[f.file] for f in files if f.valid or f.file in old_files]
    catalog, cross = _assemble(mixed)
    if not cross:
        return ReloadResult(catalog, tuple(problems), kept)
    fallback = previous or Catalog()
    all_kept = tuple(sorted(set(kept) | set(fallback.files)))
    return ReloadResult(fallback, tuple(problems + cross), all_kept)
