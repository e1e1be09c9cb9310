"""Turn datatrove's per-task stats into OUT/stats.json: the funnel a person reads and tests check.

Top level: ``input`` (WARC records seen), ``skipped`` (records that never became
documents, by why), ``removed`` (documents a stage dropped, by reason) and
``kept``; ``input == kept + removed + skipped`` always holds and is recorded as
``conserved``. ``stages`` lists, in pipeline order, each stage's ``in``,
``kept``, ``dropped`` by reason, ``seconds`` (wall time inside the stage, summed over tasks) and
``cpu_seconds`` (CPU time inside it) and ``cpu_ms_per_doc`` (that CPU time per document entering the stage:
where a run's time goes). ``jobs`` gives each datatrove job's CPU seconds (every successful task's
whole process, readers and writers included) and wall seconds (while some task of it ran), and ``run``
the run's CPU seconds (their sum, whatever the executor: ``job_timings`` says what is not counted), its
``wall_seconds`` (the latest invocation's, from its start to the end of finalize: startup and the gaps between
jobs included), ``task_seconds`` (the jobs' wall seconds added up) and ``resumed`` (part of the work was done
by an earlier invocation, so ``documents_per_second`` is null).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


def _total(v) -> int | float:
    return v["total"] if isinstance(v, dict) else v


def load_task_stats(stats_dir: Path, tasks: int) -> list[list[dict]]:
    """Per-task step stats written by datatrove (``logs/<phase>/stats/NNNNN.json``), for ranks 0..tasks-1."""
    out = []
    for rank in range(tasks):
        path = stats_dir / f"{rank:05d}.json"
        if path.is_file():
            out.append(json.loads(path.read_text()))
    return out


def _merge_phase(per_task: list[list[dict]]) -> list[tuple[str, Counter, float]]:
    merged = []
    for i in range(len(per_task[0]) if per_task else 0):
        counters: Counter = Counter()
        seconds = 0.0
        for task in per_task:
            step = task[i]
            counters.update({k: _total(v) for k, v in step.get("stats", {}).items()})
            ts = step.get("time_stats")
            seconds += ts.get("total", 0.0) if isinstance(ts, dict) else 0.0
        merged.append((per_task[0][i]["name"], counters, seconds))
    return merged


def job_timings(stats_dir: Path, tasks: int) -> dict:
    """CPU seconds (summed over tasks) and wall seconds (the time some task of the job was running: the union
    of the tasks' spans, so the pause of a resumed run does not count) of one job, from the commit step's
    ``task_*`` counters (``pipeline.commit.CommitStep``). Tasks that failed or were interrupted write no
    stats, so their CPU is not counted; nor is the driver's planning or the finalize job's own."""
    cpu, starts, ends, peak = 0.0, [], [], 0
    for task in load_task_stats(stats_dir, tasks):
        for step in task:
            if step.get("name") == "commit":
                st = step.get("stats", {})
                cpu += _total(st.get("task_cpu_seconds", 0.0))
                peak = max(peak, int(_total(st.get("task_peak_rss_bytes", 0))))
                if "task_started" in st:
                    starts.append(_total(st["task_started"]))
                    ends.append(_total(st["task_finished"]))
    wall, reach = 0.0, None  # the union of the tasks' [start, end] spans: a resumed run's pause is not work
    for start, end in sorted(zip(starts, ends)):
        if reach is None or start > reach:
            wall, reach = wall + end - start, end
        elif end > reach:
            wall, reach = wall + end - reach, end
    timing = {"cpu_seconds": round(cpu, 3), "wall_seconds": round(wall, 3), "tasks": tasks}
    if peak:
        timing["peak_rss_bytes"] = peak  # the largest task's peak resident memory
    if starts:
        timing["first_started"] = min(starts)
    return timing


_PLUMBING = ("read_work", "work_writer", "shard_writer", "commit")


def aggregate_stats(layout, n_phases: int, tasks: int) -> dict:
    """The funnel of a finished run from its phases' per-task stats (``layout``: a ``pipeline.layout.RunLayout``)."""
    stages = []
    skipped: Counter = Counter()
    removed: Counter = Counter()
    n_input = n_kept = 0
    reported = []
    for phase in range(n_phases):
        per_task = load_task_stats(layout.phase_stats(phase), tasks)
        reported.append(len(per_task))
        for name, c, seconds in _merge_phase(per_task):
            if name in _PLUMBING or name.endswith(":keys"):
                continue
            if name.startswith("read_"):
                n_input = c["input"]
                skipped = Counter({k.removeprefix("skipped_"): v for k, v in c.items() if k.startswith("skipped_")})
                stages.append({
                    "stage": name,
                    "in": n_input,
                    "out": n_input - sum(skipped.values()),
                    "skipped": dict(sorted(skipped.items())),
                    "decoded": {k.removeprefix("decoded_"): v for k, v in sorted(c.items())
                                if k.startswith("decoded_")},
                    "files": c["input_files"],
                    "seconds": round(seconds, 3),
                })
            elif name == "documents_writer":
                n_kept = c["total"]
            else:
                dropped = {k.removeprefix("dropped_"): v for k, v in sorted(c.items()) if k.startswith("dropped_")}
                removed.update(dropped)
                stages.append({
                    "stage": name,
                    "in": c["total"],
                    "kept": c["forwarded"],
                    "dropped": c["dropped"],
                    "dropped_by_reason": dropped,
                    "seconds": round(seconds, 3),
                    "cpu_seconds": round(c.get("cpu_seconds", 0.0), 3),
                    "cpu_ms_per_doc": round(1000 * c.get("cpu_seconds", 0.0) / c["total"], 3) if c["total"] else None,
                    **({"counts": counts} if (counts := {k.removeprefix("count_"): v for k, v in sorted(c.items())
                                                         if k.startswith("count_")}) else {}),
                })
    n_skipped, n_removed = sum(skipped.values()), sum(removed.values())
    return {
        "input": n_input,
        "kept": n_kept,
        "removed": n_removed,
        "skipped": n_skipped,
        "conserved": n_input == n_kept + n_removed + n_skipped,
        "tasks_reported": min(reported) if reported else 0,
        "skipped_by_reason": dict(sorted(skipped.items())),
        "removed_by_reason": dict(sorted(removed.items(), key=lambda kv: -kv[1])),
        "stages": stages,
    }


def drop_alarms(stats: dict, alarm: float) -> list[dict]:
    """Stages that dropped more than ``alarm`` of their input (a typo'd column, training data given as a
    benchmark, a language list that excludes the corpus): listed in stats.json and shouted in the funnel."""
    out = []
    for st in stats["stages"][1:]:
        if st.get("in") and st["dropped"] / st["in"] > alarm:
            top = max(st["dropped_by_reason"].items(), key=lambda kv: kv[1], default=("?", 0))[0]
            out.append({"stage": st["stage"], "in": st["in"], "dropped": st["dropped"],
                        "share": round(st["dropped"] / st["in"], 4), "top_reason": top, "alarm": alarm})
    return out


def format_funnel(stats: dict) -> str:
    """A short, aligned funnel for the terminal."""
    lines = [f"records read      {stats['input']:>8}"]
    read = stats["stages"][0] if stats["stages"] else None
    if read:
        skips = ", ".join(f"{k} {v}" for k, v in read["skipped"].items()) or "none"
        lines.append(f"  skipped         {stats['skipped']:>8}   ({skips})")
        lines.append(f"documents         {read['out']:>8}")
    for st in stats["stages"][1:]:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(st["dropped_by_reason"].items(), key=lambda kv: -kv[1]))
        lines.append(f"  {st['stage']:<22} kept {st['kept']:>6} of {st['in']:<6}"
                     + (f"  dropped: {reasons}" if reasons else ""))
    lines.append(f"kept              {stats['kept']:>8}")
    lines.append(f"removed           {stats['removed']:>8}")
    for a in stats.get("alarms", []):
        lines.append(f"WARNING: {a['stage']} dropped {a['share']:.0%} of its input "
                     f"({a['dropped']} of {a['in']}, mostly "
                     f"{a['top_reason']}), above the drop alarm of {a['alarm']:.0%}: check its parameters")
    ok = "holds" if stats["conserved"] else "BROKEN"
    lines.append(f"input = kept + removed + skipped: {stats['input']} = {stats['kept']} + {stats['removed']} "
                 f"+ {stats['skipped']} ({ok})")
    return "\n".join(lines)
