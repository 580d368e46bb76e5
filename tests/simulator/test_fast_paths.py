"""The simulator's fast paths give exactly what their plain versions give."""

from __future__ import annotations

import gzip
import json
import random
from datetime import date

import numpy as np
import polars as pl
from simworld import small_world

from simulator import dirt, ids, labels, writers
from simulator import world as sim_world
from simulator.events import iso_ms


def test_block_cached_hex_ids_equal_plain_ones():
    rnd = random.Random(1)
    for _ in range(2000):
        seed, kind, width = rnd.randrange(1 << 40), rnd.choice([31, 32, 33, 61]), rnd.choice([12, 16, 64, 128])
        keys = (rnd.randrange(40), rnd.randrange(1 << 20)) if rnd.random() < 0.7 else (rnd.randrange(5000),)
        assert ids.hex1(seed, kind, width, *keys) == ids._hex1_plain(seed, kind, width, *keys)


def test_dumps_is_json_dumps_indent_1():
    obj = {"a": [], "b": {}, "c": [1, True, None, 2.5, 'é"x\n\u2028'], 1: (1, 2), "d": date(2025, 1, 1),
           "e": [[1, 2], [3]], "f": [True, False], "g": ["x", "y"], "h": [3, 4], None: 3, 2.5: "x"}
    assert labels.dumps(obj) == json.dumps(obj, indent=1, ensure_ascii=False, default=str)


def test_vectorised_auth_time_equals_iso_ms():
    ms = [1_700_000_000_000, 1_700_000_000_001, 1_762_300_000_999, 1_600_000_000_450]
    got = pl.Series(ms).cast(pl.Datetime("ms")).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_list()
    assert got == [iso_ms(m) for m in ms]


def test_encode_skips_nulls_and_keeps_order():
    frame = pl.DataFrame({"a": ["x", None, "z", None], "n": [1, 2, None, None],
                          "b": [True, None, False, None], "_f": [None, '"k":"v"', None, None]})
    spec = [("a", "s"), ("_f", "f"), ("n", "r"), ("b", "r"), ("absent", "s")]
    lines = writers.encode(frame, spec).to_list()
    assert lines == ['{"a":"x","n":1,"b":true}\n', '{"k":"v","n":2}\n', '{"a":"z","b":false}\n', "{}\n"]
    assert [json.loads(x) for x in lines[:3]] == [{"a": "x", "n": 1, "b": True}, {"k": "v", "n": 2},
                                                  {"a": "z", "b": False}]


def _damaged(lines: pl.DataFrame, block: int, seed: int) -> tuple[list[str], list[dict]]:
    rng = np.random.default_rng(seed)
    damage = dirt.Damage(lines["_atk"].to_numpy(), "app", "f", rng, 0.02, True)
    out = []
    for lo in range(0, lines.height, block):
        out += damage.apply(lo, lines["line"].slice(lo, block)).to_list()
    tail = damage.tail()
    return out + ([] if tail is None else tail.to_list()), damage.records


def test_dirt_by_blocks_equals_dirt_of_the_whole_file():
    n = 2000
    for seed, last_attack in ((1, False), (2, True), (3, True)):
        atk = np.where(np.random.default_rng(seed).random(n) < 0.2, 0, -1).astype(np.int16)
        atk[-1] = 0 if last_attack else -1
        lines = pl.DataFrame({"_atk": atk, "line": [
            f'{{"ts":"2025-11-1{i % 10}","event_id":"e{i}","actor_org_siret":"{i}","src_ip":"x",'
            f'"app_session_id":"s","n":{i}}}\n' for i in range(n)]})
        whole = dirt.apply(lines, "app", "f", np.random.default_rng(seed), 0.02, True)
        whole = (whole[0].to_list(), whole[1])
        assert any(r["kind"] == "duplicate" for r in whole[1])
        assert whole[1][-1]["kind"] == "truncated_last_line" and whole[1][-1]["line"] == len(whole[0])
        for block in (1, 7, 333, n):
            assert _damaged(lines, block, seed) == whole


def test_lines_do_not_depend_on_the_block_size(world, tmp_path, monkeypatch):
    """Small blocks, and files gathered in time order by block (as 10M-line days are) instead
    of sorted whole, give the same lines."""
    out, _ = world
    monkeypatch.setattr(writers, "CHUNK", 97)
    monkeypatch.setattr(sim_world, "BIG_FILE", 0)
    again = tmp_path / "blocks"
    small_world(again)
    for p in sorted((out / "inbox").iterdir()):
        assert gzip.decompress(p.read_bytes()) == gzip.decompress((again / "inbox" / p.name).read_bytes())
    assert (out / "labels" / "world.json").read_text() == (again / "labels" / "world.json").read_text()


def test_gzip_sink_writes_exactly_the_lines(tmp_path):
    lines = pl.Series([f'{{"n":{i},"s":"{"x" * (i % 50)}"}}\n' for i in range(5000)])
    blocks = [lines.slice(0, 1), lines.slice(1, 1999), pl.concat([lines.slice(2000, 10), lines.slice(2010, 2990)]),
              pl.Series([], dtype=pl.String)]
    for level in (1, 6):
        path = tmp_path / f"x{level}.jsonl.gz"
        sink = writers.GzipSink(path, level)
        for b in blocks:
            sink.write(b)
        sink.close()
        raw = path.read_bytes()
        assert raw[4:8] == b"\0\0\0\0"  # no mtime: same seed, same bytes
        assert gzip.decompress(raw).decode() == "".join(lines.to_list())
