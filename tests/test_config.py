"""Config validation: bad configs fail before any work, naming the key and the valid choices."""

import pytest

from pipeline.cli import main
from pipeline.config import load_config, parse_config
from pipeline.errors import ConfigError
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("demo_quality_model")  # runs configs/demo.yaml, which scores with it


def base(**over):
    cfg = {"name": "t", "input": {"paths": "x.warc.gz"}, "stages": [{"gopher_quality_v1": {}}]}
    cfg.update(over)
    return cfg


@pytest.mark.parametrize("name", ["demo.yaml", "cc.yaml", "cc_crawl.yaml"])
def test_bundled_configs_parse(name):
    cfg = load_config(ROOT / "configs" / name)
    names = [s.name for s in cfg.stages]
    assert names.index("langid_prefilter_v1") < names.index("extract_html_v1") < names.index("langid_v1")
    assert cfg.config_hash() == load_config(ROOT / "configs" / name).config_hash()


def test_crawl_config_is_cc_with_cluster_tasks():
    """configs/cc_crawl.yaml is configs/cc.yaml's recipe, its dedup stages spread over cluster tasks, and it builds
    (the stages accept every parameter)."""
    from pipeline.registry import get_stage

    cc, crawl = (load_config(ROOT / "configs" / n) for n in ("cc.yaml", "cc_crawl.yaml"))
    assert [s.name for s in crawl.stages] == [s.name for s in cc.stages]
    for a, b in zip(cc.stages, crawl.stages):
        extra = {k: v for k, v in b.params.items() if a.params.get(k) != v}
        assert extra.keys() <= {"cluster_tasks"}, (b.name, extra)
        if b.name.endswith("_dedup_v1"):
            assert extra["cluster_tasks"] > 1 and get_stage(b.name)(**b.params).cluster_tasks == extra["cluster_tasks"]


def test_defaults_and_overrides():
    cfg = parse_config(base())
    assert (cfg.output, cfg.executor.tasks, cfg.input.limit, cfg.shards) == ("out/t", 1, -1, False)
    cfg2 = cfg.with_overrides(input_glob="y/*.warc", output="o", tasks=4, workers=2, limit=10)
    assert (cfg2.input.paths, cfg2.output, cfg2.executor.tasks, cfg2.executor.workers, cfg2.input.limit) == (
        ("y/*.warc",), "o", 4, 2, 10)
    # where the output goes and how it is scheduled do not change what the run produces
    assert cfg2.config_hash() != cfg.config_hash()  # input and limit do
    assert cfg.with_overrides(output="elsewhere", tasks=8).config_hash() == cfg.config_hash()


@pytest.mark.parametrize(
    "raw, message",
    [
        (base(stages=[{"gopher_qualty_v1": {}}]),
         "unknown stage 'gopher_qualty_v1'; valid stages: badwords_v1, c4_quality_v1"),
        (base(stages=[{"gopher_quality_v1": {"min_words": 3}}]),
         "unknown parameter 'min_words'; valid parameters: min_doc_words"),
        (base(stages=[{"gopher_quality_v1": {"min_doc_words": "fifty"}}]),
         "stages.gopher_quality_v1.min_doc_words: expected"),
        (base(stages=[{"langid_v1": {"languages": "en"}}]), "stages.langid_v1.languages: expected"),
        (base(stages=[{"c4_quality_v1": {"filter_policy": 1}}]), "stages.c4_quality_v1.filter_policy: expected"),
        (base(stages=[]), "stages: expected a non-empty list"),
        (base(stages=[{"gopher_quality_v1": {}}, {"gopher_quality_v1": {}}]), "appears twice"),
        (base(executor={"kind": "yarn"}), "executor.kind: unknown executor 'yarn'; valid executors: local"),
        (base(executor={"tasks": 0}), "executor.tasks: expected a positive integer"),
        (base(input={"format": "csv", "paths": "x"}), "input.format: unknown format 'csv'"),
        (base(input={"paths": []}), "input.paths: expected a glob"),
        (base(outptu="x"), "unknown key 'outptu'; valid keys: name, seed"),
        ({"input": {"paths": "x"}, "stages": ["c4_quality_v1"]}, "missing required key 'name'"),
        ("just a string", "config: expected a mapping"),
    ],
)
def test_bad_configs_name_the_key(raw, message):
    with pytest.raises(ConfigError) as e:
        parse_config(raw, "cfg.yaml")
    assert message in str(e.value)
    assert str(e.value).startswith("cfg.yaml: ")


def test_cli_reports_config_errors_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\ninput: {paths: x}\nstages:\n  - nope_v1: {}\n")
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "winnow: error:" in err and "unknown stage 'nope_v1'" in err and "Traceback" not in err


def test_cli_missing_input_is_an_error(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"name: t\ninput: {{paths: '{tmp_path}/none/*.warc.gz'}}\noutput: {tmp_path}/out\n"
                   "stages: [gopher_quality_v1]\n")
    assert main(["run", str(cfg)]) == 2
    assert "no files match" in capsys.readouterr().err


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for cmd in ("run", "stages", "sql", "assets"):
        assert cmd in out


def test_os_errors_name_the_path_and_say_how_to_resume(monkeypatch, capsys):
    import errno

    import pipeline.run

    def disk_full(cfg, *args):
        raise OSError(errno.ENOSPC, "No space left on device", "/data/out/documents/00003.parquet.part")

    monkeypatch.setattr(pipeline.run, "run", disk_full)
    assert main(["run", str(ROOT / "configs" / "demo.yaml")]) == 3
    err = capsys.readouterr().err
    assert ("No space left on device: /data/out/documents/00003.parquet.part" in err
            and "run the same command again" in err)


def test_unwritable_output_is_a_config_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["run", str(ROOT / "configs" / "demo.yaml"), "--output", str(blocker / "out")]) == 2
    assert f"cannot write to {blocker / 'out'}" in capsys.readouterr().err


@pytest.mark.parametrize("command, stage", [("dedup", "minhash_dedup_v1"), ("decontam", "decontam_v1"),
                                            ("rephrase", "rephrase_v1")])
def test_command_flags_are_the_stages_parameters(command, stage):
    """A command's flags come from its stage's signature: every parameter is a flag with the stage's default (a
    default changed in the stage changes the command's), and a required parameter is a required flag."""
    import argparse
    import inspect

    from pipeline.cli import build_parser
    from pipeline.registry import get_stage, stage_params

    parser = build_parser(command)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    flags = {a.dest: a for a in sub._actions}
    for name, p in stage_params(get_stage(stage)).items():
        assert name in flags, f"winnow {command} has no flag for {stage}'s parameter {name!r}"
        if p.default is inspect.Parameter.empty:
            assert flags[name].required
        else:
            assert flags[name].default == p.default and not flags[name].required


def test_stage_flags_take_optional_list_and_boolean_parameters():
    import argparse

    from pipeline.registry import add_stage_flags, stage_args
    from pipeline.stage import Stage

    class Toy(Stage):  # not registered: flags need only the signature
        def __init__(self, n: int | None = None, mode: str | bool = "auto", xs: list[str] | None = None,
                     on: bool = False, exclusion_writer=None):
            super().__init__(exclusion_writer)

    parser = argparse.ArgumentParser()
    names = add_stage_flags(parser, Toy)
    assert stage_args(parser.parse_args(["--n", "5", "--mode", "on", "--xs", "a", "b", "--on"]), names) == {
        "n": 5, "mode": "on", "xs": ["a", "b"], "on": True}
    assert stage_args(parser.parse_args([]), names) == {"n": None, "mode": "auto", "xs": None, "on": False}
