"""bench/run's reading of the scripts' RESULT lines and its merged RESULT line (no database,
no subprocess): a missing script, a failed one and a missing key give ``key=NA``."""

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_run():
    loader = importlib.machinery.SourceFileLoader("bench_run", str(ROOT / "bench" / "run"))
    spec = importlib.util.spec_from_loader("bench_run", loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # its dataclasses look their module up there
    loader.exec_module(module)
    return module


run = load_run()
STEPS = {s.name: s for s in run.STEPS}


def test_parse_result_takes_the_last_result_line_and_keeps_values_as_printed():
    output = "building…\nRESULT import_10k_s=9.99\nmedian 10k new: 0.95s\nRESULT import_10k_s=0.95 peak_rss_mb=556\n\n"
    assert run.parse_result(output) == {"import_10k_s": "0.95", "peak_rss_mb": "556"}


def test_parse_result_without_a_result_line_is_none():
    assert run.parse_result("Traceback (most recent call last):\n  ...\nRESULTS are below") is None
    assert run.parse_result("") is None


def test_parse_result_ignores_tokens_without_a_value():
    assert run.parse_result("RESULT a=1 junk =2 b=") == {"a": "1", "b": ""}


def test_map_result_renames_declared_keys_and_prefixes_the_others():
    outcome = run.map_result(
        STEPS["flags"],
        {
            "flags_100k_s": "4.10",
            "flags": "19339",
            "second_s": "1.42",
            "second_writes": "0",
            "new_thing": "7",
        },
    )
    assert outcome.status == "ok"
    assert outcome.values == {
        "flags_100k_s": "4.10",
        "flags_raised": "19339",
        "flags_second_s": "1.42",
        "flags_second_writes": "0",
    }
    assert outcome.extras == {"flags_new_thing": "7"}


def test_a_missing_key_makes_the_step_partial_and_its_value_na():
    outcome = run.map_result(STEPS["api"], {"api_p50_ms_c10": "12", "xlsx_county_s": "3.1"})
    assert outcome.status == "partial"
    assert "api_p95_ms_c10" in outcome.note and "api_p50_ms_c10" not in outcome.note
    merged = run.merge([outcome])
    assert merged["api_p50_ms_c10"] == "12"
    assert merged["api_p95_ms_c10"] == "NA"
    assert merged["api_rps_c10"] == "NA"


def test_missing_failed_and_skipped_steps_give_na_for_every_key_they_declare():
    missing = run.Outcome(STEPS["province"], "missing", note="bench/province.py not there")
    failed = run.map_result(STEPS["recompute"], None, "failed")
    skipped = run.Outcome(STEPS["lrmx"], "skipped")
    ok = run.map_result(
        STEPS["import"], {"import_10k_s": "0.95", "import_100k_s": "7.4", "peak_rss_mb": "552"}
    )
    merged = run.merge([missing, failed, skipped, ok])
    assert failed.status == "failed"
    for key in ("recompute_1m_s_w1", "recompute_1m_s_w2", "seed_1m_s", "recompute_100k_s", "lrmx_1000_s"):
        assert merged[key] == "NA"
    assert merged["import_10k_s"] == "0.95"
    line = run.result_line(merged)
    assert line.startswith("RESULT ")
    assert " recompute_1m_s_w2=NA" in line
    assert " import_100k_s=7.4" in line
    # step order is kept: the province's keys come before the import's here, as given
    assert line.index("seed_1m_s=") < line.index("import_10k_s=")


def test_an_empty_value_counts_as_missing():
    outcome = run.map_result(STEPS["whatif"], {"whatif_county_s": "", "whatif_city_s": "4.3"})
    assert run.merge([outcome])["whatif_county_s"] == "NA"


def test_the_merged_line_holds_every_key_the_issue_asks_for_even_with_nothing_run():
    merged = run.merge([run.Outcome(step, "skipped") for step in run.STEPS])
    for key in [
        "import_10k_s",
        "import_100k_s",
        "peak_rss_mb",
        "peer_import_10k_s",
        "peer_ratio_import_10k",
        "floor_import_10k_s",
        "recompute_100k_s",
        "recompute_1m_s_w1",
        "recompute_1m_s_w2",
        "api_p50_ms_c10",
        "api_p95_ms_c10",
        "api_rps_c10",
        "api_p95_ms_c50",
        "xlsx_county_s",
        "flags_100k_s",
        "incentives_100k_s",
        "whatif_county_s",
        "dashboard_ms",
    ]:
        assert merged[key] == "NA", key
    assert len(set(merged)) == len(merged)


def test_select_only_and_skip():
    assert run.select("import,peer", None) == ["import", "peer"]
    assert "province" not in run.select(None, "province")
    assert run.select(None, None) == [s.name for s in run.STEPS]
    assert run.select("peer,import", "peer") == ["import"]
    with pytest.raises(ValueError, match="nope"):
        run.select("import,nope", None)


def test_targets_verdicts_at_the_edge():
    assert run.verdict("import_10k_s", "1.00") == "≤ 1 met"
    assert run.verdict("import_10k_s", "1.01") == "≤ 1 MISSED"
    assert run.verdict("import_10k_s", "NA") == "≤ 1"
    assert run.verdict("api_rps_c10", "200") == "≥ 200 met"
    assert run.verdict("api_rps_c10", "199.9") == "≥ 200 MISSED"
    assert run.verdict("api_p95_ms_c10", "nan") == "≤ 50"
    assert run.verdict("api_p50_ms_c10", "12") == ""


def test_previous_commit_is_the_last_marker():
    text = "x\n<!-- bench-run commit=aaaaaaa111 -->\n...\n<!-- bench-run commit=bbbbbbb222 -->\n"
    assert run.previous_commit(text) == "bbbbbbb222"
    assert run.previous_commit("no runs yet") is None


def test_table_lists_each_step_status_and_each_key():
    outcomes = [
        run.map_result(
            STEPS["import"], {"import_10k_s": "0.95", "import_100k_s": "7.4", "peak_rss_mb": "552"}
        ),
        run.Outcome(STEPS["province"], "missing", note="bench/province.py not there"),
    ]
    text = run.table(outcomes, run.merge(outcomes))
    assert "| province | bench/province.py | missing |" in text
    assert "| import_10k_s | 0.95 | ≤ 1 met | import |" in text
    assert "| recompute_1m_s_w1 | NA | ≤ 60 | province |" in text
    assert "| recompute_1m_s_w2 | NA |  | province |" in text


def test_the_recorded_command_leaves_the_note_out():
    assert run.command(["--skip", "province", "--note", "busy machine"]) == "bench/run --skip province"
    assert run.command(["--note=busy", "--only", "import,peer"]) == "bench/run --only import,peer"
