"""The runbook catalogue: runbooks, alerting rules and SLOs, loaded and validated in one place.

An on-call engineer reaches a runbook from an alert's ``runbook`` annotation or from a war game's
report; ``ops runbook`` and the consistency tests read the same files through this module, so that
a runbook cannot silently drift from the alerts, the war games or the CLI it tells people to run.

Files (all in this folder):
- ``<name>.md``: one runbook, YAML front matter (title, kind, alert, wargame, severity, slo, owner)
  between ``---`` lines, then markdown; ``ops`` commands sit in fenced code blocks as ``$ ops ...``.
- ``alerts.yaml``: Prometheus alerting rules; ``slos.yaml``: SLOs and SPEC-only alert thresholds.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ports.metrics import METRICS_BY_NAME, Kind

RUNBOOK_DIR = Path(__file__).resolve().parent
ALERTS_FILE = RUNBOOK_DIR / "alerts.yaml"
SLOS_FILE = RUNBOOK_DIR / "slos.yaml"
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)
FENCE = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)
PROMQL_FENCE = re.compile(r"^([ \t]*)```promql\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)
METRIC_NAME = re.compile(r"\breelops_[a-z0-9_]+\b")
COMPARISON = re.compile(r"(>|<|==|>=|<=|!=)\s*(-?[0-9][0-9.e+-]*)\s*$")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

Severity = Literal["critical", "warning", "info"]


@dataclass(frozen=True)
class CatalogueError(Exception):
    """A runbook, rule or SLO file is invalid: which file, which key, what was expected."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class RunbookMeta(Frozen):
    """A runbook's front matter."""

    title: str
    kind: Literal["alert", "wargame"]
    alert: tuple[str, ...] = Field(min_length=1, description="the alert it answers, or a war game's expected alerts")
    wargame: str | None = None
    severity: Severity
    slo: str
    owner: str

    @field_validator("alert", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


class Runbook(Frozen):
    name: str
    path: Path
    meta: RunbookMeta
    body: str


class AlertRule(Frozen):
    """One Prometheus alerting rule as written in ``alerts.yaml``."""

    alert: str
    expr: str
    for_: str | None = Field(default=None, alias="for")
    labels: dict[str, str]
    annotations: dict[str, str]

    @property
    def runbook(self) -> str:
        return self.annotations.get("runbook", "")

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")


class Slo(Frozen):
    objective: float
    description: str


class SloFile(Frozen):
    source: str
    slos: dict[str, Slo]
    alert_thresholds: dict[str, float]


def read_runbook(path: Path) -> Runbook:
    """Parse one runbook file or raise CatalogueError naming it."""
    match = FRONT_MATTER.match(path.read_text())
    if match is None:
        raise CatalogueError(str(path), "-", "expected YAML front matter between '---' lines at the top")
    meta = parse_yaml(match.group(1), str(path))
    try:
        parsed = RunbookMeta.model_validate(meta)
    except ValidationError as exc:
        raise to_catalogue_error(exc, str(path)) from None
    return Runbook(name=path.stem, path=path, meta=parsed, body=match.group(2))


def load_runbooks(directory: Path = RUNBOOK_DIR) -> dict[str, Runbook]:
    """Every runbook in ``directory``, by name (the file stem), sorted."""
    return {p.stem: read_runbook(p) for p in sorted(directory.glob("*.md"))}


def find_runbook(name: str, runbooks: dict[str, Runbook]) -> Runbook:
    """A runbook by name, by alert name, or by war-game scenario name."""
    if name in runbooks:
        return runbooks[name]
    for book in runbooks.values():
        if (book.meta.kind == "alert" and name in book.meta.alert) or book.meta.wargame == name:
            return book
    raise KeyError(f"no runbook {name!r} (known: {', '.join(runbooks)})")


def runbook_for_wargame(scenario: str, directory: Path = RUNBOOK_DIR) -> Runbook:
    """The runbook a war game's report links to (raises KeyError when there is none)."""
    for book in load_runbooks(directory).values():
        if book.meta.wargame == scenario:
            return book
    raise KeyError(f"no runbook for war game {scenario!r}")


def list_ops_commands(book: Runbook) -> list[list[str]]:
    """The ``ops`` commands in a runbook's fenced code blocks, as argv lists without ``ops``."""
    commands: list[list[str]] = []
    for block in FENCE.findall(book.body):
        for line in block.splitlines():
            text = line.strip().removeprefix("$ ").strip()
            if text.startswith("ops "):
                commands.append(shlex.split(text, comments=True)[1:])
    return commands


def list_promql(book: Runbook) -> list[str]:
    """The PromQL expressions in a runbook's ``promql`` blocks; more-indented lines continue one."""
    expressions: list[str] = []
    for indent, block in PROMQL_FENCE.findall(book.body):
        for line in block.splitlines():
            if not line.strip():
                continue
            continues = line.startswith((indent + " ", indent + "\t"))
            if continues and expressions:
                expressions[-1] += " " + line.strip()
            else:
                expressions.append(line.strip())
    return expressions


def load_alert_rules(path: Path = ALERTS_FILE) -> tuple[AlertRule, ...]:
    """Every alerting rule of every group in a rules file."""
    data = parse_yaml(path.read_text(), str(path))
    rules: list[AlertRule] = []
    for g, group in enumerate(data.get("groups") or []):
        for r, rule in enumerate(group.get("rules") or []):
            try:
                rules.append(AlertRule.model_validate(rule))
            except ValidationError as exc:
                raise to_catalogue_error(exc, str(path), f"groups[{g}].rules[{r}]") from None
    return tuple(rules)


def load_slos(path: Path = SLOS_FILE) -> SloFile:
    try:
        return SloFile.model_validate(parse_yaml(path.read_text(), str(path)))
    except ValidationError as exc:
        raise to_catalogue_error(exc, str(path)) from None


def list_metric_names(expr: str) -> set[str]:
    """Metric names an expression reads, histogram series suffixes removed."""
    names = set(METRIC_NAME.findall(expr))
    return {strip_histogram_suffix(n) for n in names}


def strip_histogram_suffix(name: str) -> str:
    """``x_bucket``/``x_sum``/``x_count`` -> ``x`` when ``x`` is a histogram of the metric contract."""
    for suffix in HISTOGRAM_SUFFIXES:
        base = name.removesuffix(suffix)
        metric = METRICS_BY_NAME.get(base)
        if base != name and metric is not None and metric.kind == Kind.HISTOGRAM:
            return base
    return name


def read_threshold(rule: AlertRule) -> tuple[str, float]:
    """The final comparison of a rule's expression: operator and number."""
    match = COMPARISON.search(rule.expr.strip())
    if match is None:
        raise CatalogueError(str(ALERTS_FILE), rule.alert, "expected the expression to end with `<op> <number>`")
    return match.group(1), float(match.group(2))


def parse_yaml(text: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(source, "-", f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CatalogueError(source, "-", "expected a YAML mapping")
    return data


def to_catalogue_error(exc: ValidationError, source: str, prefix: str = "") -> CatalogueError:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
    message = "required key is missing" if err["type"] == "missing" else err["msg"]
    return CatalogueError(source, key or "-", message)
