"""The README's SQL recipes, run against a real run of the demo config (so the docs cannot drift)."""

import re

import pytest

from pipeline.config import load_config
from pipeline.query import connect
from pipeline.run import run
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("demo_quality_model")  # runs configs/demo.yaml, which scores with it


def recipes() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sql\n(.*?)```", text, re.S).group(1)
    out = []
    for chunk in block.split("-- ")[1:]:
        title, _, sql = chunk.partition("\n")
        out.append((title.strip(), sql.strip().rstrip(";")))
    return out


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    res = run(load_config(ROOT / "configs" / "demo.yaml").with_overrides(
        output=str(tmp_path_factory.mktemp("sql") / "o")))
    return connect(res.output), res.stats


def test_there_are_five_recipes():
    assert [t for t, _ in recipes()] == [
        "why was this URL dropped?", "top domains kept", "language mix, kept and removed",
        "scores by source (any numeric column: lang_score, quality_*)",
        "the duplicates of a document, and why each was removed",
    ]


def test_recipes_answer_on_a_real_run(con):
    con, stats = con
    url, = con.execute("select url from removed where reason = 'langid_other_language' limit 1").fetchone()
    dup_of, = con.execute("select dup_of from removed where reason = 'exact_dedup_duplicate' limit 1").fetchone()
    answers = {t: con.execute(sql.replace("$URL", url).replace("$ID", dup_of)).fetchall() for t, sql in recipes()}
    why = answers["why was this URL dropped?"]
    assert why and why[0][:2] == ("langid_v1", "langid_other_language")
    top = answers["top domains kept"]
    assert top and top[0][1] >= top[-1][1] and sum(r[1] for r in top) <= stats["kept"]
    mix = dict((r[0], (r[1], r[2])) for r in answers["language mix, kept and removed"])
    assert mix["en"][0] == stats["kept"] and sum(k + r for k, r in mix.values()) == stats["kept"] + stats["removed"]
    (source, docs, lang_score, median), = answers["scores by source (any numeric column: lang_score, quality_*)"]
    assert (source, docs) == ("demo", stats["kept"]) and 0.65 <= lang_score <= 1 and median > 50
    dups = answers["the duplicates of a document, and why each was removed"]
    assert dups and all(r[2] == "exact_dedup_duplicate" for r in dups)
