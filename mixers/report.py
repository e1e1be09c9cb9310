"""The mixture section of ``winnow report`` (``section-mixture``): ``weights.json`` and ``fit.json`` in a run
directory, as ``mixers.mix.run_mix`` writes them (``choose_mix`` and ``fit``).

The mixers are not stages, so the report imports this module by name (``pipeline.report.REPORT_MODULES``)
and calls :func:`report_section`; a directory without either file has no mixture section. A file in a shape
``winnow mix`` never writes is not guessed at: only the keys below are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.report_data import RunData, read_json


@dataclass
class Mixture:
    weights: list[tuple]  # source, chosen weight, natural weight, available tokens
    facts: list[tuple[str, Any]]  # predicted loss, fallback, regression, tokenizer, ...
    warnings: list[str]
    fit: list[tuple[str, Any]]  # chosen model, runs, folds, spearman, mae, rmse
    models: list[tuple]  # model, spearman, mae, rmse
    held_out: tuple[list[float], list[float]] | None  # actual, predicted


def mixture(out: Path) -> Mixture | None:
    """What ``weights.json`` and ``fit.json`` in ``out`` say; ``None`` where neither exists."""
    wpath, fpath = out / "weights.json", out / "fit.json"
    if not wpath.is_file() and not fpath.is_file():
        return None
    weights, facts, warnings = [], [], []
    if wpath.is_file():
        w = read_json(wpath)
        natural, available = w.get("natural") or {}, w.get("available_tokens") or {}
        weights = [(name, float(v), natural.get(name), available.get(name))
                   for name, v in sorted((w.get("weights") or {}).items(), key=lambda kv: -kv[1])]
        reg = w.get("regression") or {}
        dist = w.get("distance_to_nearest_run") or {}
        facts = [(k, v) for k, v in (
            ("predicted loss", w.get("predicted_loss")), ("loss unit", w.get("loss_unit")),
            ("fallback", w.get("fallback")), ("regression model", reg.get("model")),
            ("cross-validated Spearman", reg.get("cv_spearman")),
            ("distance to nearest run (TV)", dist.get("total_variation")),
            ("proxy runs", w.get("runs")), ("target tokens", w.get("target_tokens")), ("tokenizer", w.get("tokenizer")),
        ) if v is not None]
        warnings = [str(x) for x in w.get("warnings") or []]
    fit, models, held_out = [], [], None
    if fpath.is_file():
        f = read_json(fpath)
        fit = [(k, f[k]) for k in ("chosen_model", "runs", "folds", "spearman", "mae", "rmse", "loss_unit") if k in f]
        models = [(name, m.get("spearman"), m.get("mae"), m.get("rmse"))
                  for name, m in (f.get("models") or {}).items() if isinstance(m, dict)]
        ho = f.get("held_out") or {}
        if ho.get("actual") and len(ho["actual"]) == len(ho.get("predicted") or []):
            held_out = ([float(v) for v in ho["actual"]], [float(v) for v in ho["predicted"]])
    return Mixture(weights, facts, warnings, fit, models, held_out)


def fit_png(actual: list[float], predicted: list[float]) -> str:
    """Held-out predicted vs actual loss, with the diagonal (base64 PNG)."""
    from pipeline.report_data import KEPT_COLOUR, figure, png_b64, style_axes

    fig = figure(4.6, 4.2)
    ax = fig.add_subplot()
    ax.scatter(actual, predicted, s=14, color=KEPT_COLOUR)
    lo, hi = min(actual + predicted), max(actual + predicted)
    ax.plot([lo, hi], [lo, hi], color="#a0aec0", linewidth=1, linestyle="--")
    ax.set_xlabel("actual loss", fontsize=9)
    ax.set_ylabel("predicted loss (held-out fold)", fontsize=9)
    style_axes(ax)
    return png_b64(fig)


def report_section(rd: RunData) -> str | None:
    """``section-mixture``: the chosen weights (``plot-weights``, ``table-weights``), the choice's facts and
    warnings, and the regression's fit (``plot-fit``, ``table-fit``, ``table-fit-models``); None without a mix."""
    from pipeline import report_html as h
    from pipeline.report_data import values_png

    mix = mixture(rd.out)
    if mix is None:
        return None
    parts = []
    if mix.weights:
        parts.append("<h3>Weights</h3>")
        parts.append(h.img(values_png([w[0] for w in mix.weights], [w[1] for w in mix.weights], "weight", "{:.3g}"),
                           "plot-weights", "Chosen mixture weights"))
        parts.append(h.table(["source", "weight", "natural", "available tokens"], mix.weights,
                             table_id="table-weights"))
    if mix.facts:
        parts.append(h.table(["", ""], mix.facts, table_id="table-mix-facts", head=False))
    if mix.warnings:
        parts.append("<ul class=\"warnings\">" + "".join(f"<li>{h.esc(w)}</li>" for w in mix.warnings) + "</ul>")
    if mix.fit or mix.held_out:
        parts.append("<h3>Fit</h3>")
        if mix.held_out:
            parts.append(h.img(fit_png(*mix.held_out), "plot-fit", "Regression fit: held-out predicted vs actual loss"))
        parts.append(h.table(["metric", "value"], mix.fit, table_id="table-fit"))
        if mix.models:
            parts.append(h.table(["model", "Spearman", "MAE", "RMSE"], mix.models, table_id="table-fit-models"))
    if not parts:
        return None
    return h.section("section-mixture", "Mixture", *parts)
