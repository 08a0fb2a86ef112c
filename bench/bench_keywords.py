"""Keyword engine benchmark.

Throughput of ``KeywordMatcher.find`` (pure Python on pyahocorasick) on 200-character
mixed-script messages with 10, 1,000 and 10,000 keywords, as ratios to (a) a compiled
regular-expression alternation of the same keywords (the target: >= 100x at 10,000) and (b) a
bare pyahocorasick scan (no normalisation, no boundary checks; for information); plus the
build time and memory (tracemalloc) of a 10,000-keyword matcher. Keyword detection's share of
the per-message processing is measured by ``bench_keyword_share.py``.

    python bench/bench_keywords.py            # prints and writes docs/benchmarks.md
    python bench/bench_keywords.py --no-write

Runtime is bounded: every measurement stops after ~TIME_BUDGET seconds (< 2 minutes total).
The garbage collector is off while timing, as ``timeit`` does.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import re
import sys
import time
import tracemalloc
import unicodedata
from pathlib import Path

import ahocorasick

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from keywords import KeywordMatcher, KeywordSpec, MatchMode  # noqa: E402

TIME_BUDGET = 2.5  # seconds per timed measurement
SEED = 20261122
MESSAGE_LEN = 200
N_MESSAGES = 2000

_WORDS = {
    "en": "price how much order shipping delivery size colour available stock discount "
    "payment refund return cash on delivery hello thanks please when where",
    "vi": "giá bao nhiêu đặt hàng giao hàng thanh toán chuyển khoản còn hàng không "
    "màu size ship phí vận chuyển cảm ơn chị em anh mình muốn mua",
    "th": "ราคา เท่าไหร่ สั่งซื้อ จัดส่ง ส่งฟรี เก็บเงินปลายทาง โอน ขนาด สี มีของ ไหม ค่ะ ครับ ขอบคุณ สนใจ ทำ น้ำ",
    "cs": "cena kolik objednávka doprava platba dobírka velikost barva skladem "
    "děkuji prosím dobrý den",
    "id": "harga berapa pesan ongkir kirim bayar transfer ukuran warna ready stok "
    "kak terima kasih mau beli",
    "emoji": "🔥 ❤️ 😍 🙏 👍 💯",
}
REAL_WORDS = {lang: words.split(" ") for lang, words in _WORDS.items()}
# Everyday words that are not keywords (messages are mostly these).
_FILLER = (
    "hi can you tell me if this one is still there I want two pieces for my sister",
    "xin chào shop ơi cho em hỏi cái này có sẵn không ạ em lấy hai cái nha",
    "สวัสดีค่ะ อยากได้ตัวนี้ สองชิ้น ส่งได้เลยไหมคะ ขอบคุณมากนะคะ",
    "ahoj mám zájem o tuto věc pošlete mi to prosím zítra",
    "halo kak saya mau yang ini dua ya kapan sampai makasih",
)
FILLER_WORDS = [word for line in _FILLER for word in line.split()]

SYLLABLES = {
    "latin": ["ka", "ro", "mi", "ta", "lu", "ne", "po", "sa", "vi", "do", "re", "zu", "xa", "qi"],
    "vi": ["giá", "đặt", "hàng", "mua", "bán", "tiền", "nhiều", "ưu", "đãi", "khuyến"],
    "cs": ["ř", "ž", "čí", "šá", "ně", "ků", "dě", "tý"],
    "th": ["กา", "ขี", "คุ", "งำ", "จ่า", "ส้ม", "น้ำ", "ไท", "เล", "มั่"],
}


def synthetic_word(rng: random.Random) -> str:
    kind = rng.choice(["latin", "latin", "vi", "cs", "th"])
    parts = SYLLABLES[kind]
    if kind == "cs":
        return "".join(rng.choice(SYLLABLES["latin"] + parts) for _ in range(rng.randint(2, 4)))
    return "".join(rng.choice(parts) for _ in range(rng.randint(2, 4)))


def make_keywords(n: int, rng: random.Random, accent_share: float) -> list[KeywordSpec]:
    real = [w for words in REAL_WORDS.values() for w in words]
    texts: list[str] = []
    seen: set[str] = set()
    for w in real[: min(len(real), max(n // 10, 5))]:
        if w not in seen:
            seen.add(w)
            texts.append(w)
    while len(texts) < n:
        w = synthetic_word(rng)
        if w not in seen:
            seen.add(w)
            texts.append(w)
    modes = [MatchMode.WHOLE_WORD] * 6 + [MatchMode.CONTAINS] * 2
    modes += [MatchMode.EXACT, MatchMode.STARTS_WITH]
    return [
        KeywordSpec(
            key=i, text=t, mode=rng.choice(modes), accent_insensitive=rng.random() < accent_share
        )
        for i, t in enumerate(texts[:n])
    ]


def make_messages(keywords: list[KeywordSpec], rng: random.Random) -> list[str]:
    """200-character messages mixing scripts, with a few keywords sprinkled in."""
    kw_texts = [k.text for k in keywords]
    is_keyword = set(kw_texts)
    filler = [w for words in REAL_WORDS.values() for w in words if w not in is_keyword]
    filler += FILLER_WORDS + ["12", "50k", "?", "!!", "…", "#123", "ok", "🙂", "❤️"]
    messages = []
    for i in range(N_MESSAGES):
        words = []
        length = 0
        while length < MESSAGE_LEN:
            w = rng.choice(kw_texts) if rng.random() < 0.08 else rng.choice(filler)
            if rng.random() < 0.15:
                w = w.upper()
            if rng.random() < 0.3 and w.isascii():
                w = w.capitalize()
            words.append(w)
            length += len(w) + 1
        text = " ".join(words)[:MESSAGE_LEN]
        if i % 10 == 0:  # some phones send decomposed (NFD) text: the slow path
            text = unicodedata.normalize("NFD", text)
        messages.append(text)
    return messages


def timed_interleaved(fns: dict, messages: list[str], budget: float) -> dict[str, float]:
    """Seconds per message for each function. The batch is cut into chunks of 50 messages;
    rounds go over every chunk with the functions interleaved on it, so they share the
    machine's noise, and each function keeps its best time per chunk (as ``timeit``
    recommends: the minimum is the run least disturbed by the rest of the machine, here a
    virtual machine with busy neighbours). Stops after ``budget`` seconds (at least 3
    rounds)."""
    chunks = [messages[i : i + 50] for i in range(0, len(messages), 50)]
    best = {name: [float("inf")] * len(chunks) for name in fns}
    for fn in fns.values():
        fn(messages[0])  # warm-up
    deadline = time.perf_counter() + budget
    rounds = 0
    clock = time.perf_counter
    gc.collect()
    gc.disable()
    try:
        while rounds < 3 or clock() < deadline:
            for i, chunk in enumerate(chunks):
                for name, fn in fns.items():
                    start = clock()
                    for m in chunk:
                        fn(m)
                    elapsed = clock() - start
                    if elapsed < best[name][i]:
                        best[name][i] = elapsed
            rounds += 1
    finally:
        gc.enable()
    return {name: sum(times) / len(messages) for name, times in best.items()}


def bare_automaton(keywords: list[KeywordSpec]) -> ahocorasick.Automaton:
    a = ahocorasick.Automaton()
    for spec in keywords:
        a.add_word(spec.text.lower(), spec.key)
    a.make_automaton()
    return a


def regex_alternation(keywords: list[KeywordSpec]) -> re.Pattern:
    texts = sorted({k.text for k in keywords}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, texts)), re.IGNORECASE)


def run_size(n: int, accent_share: float, rng: random.Random) -> dict:
    keywords = make_keywords(n, rng, accent_share)
    messages = make_messages(keywords, rng)
    matcher = KeywordMatcher(keywords)
    auto = bare_automaton(keywords)
    rx = regex_alternation(keywords)

    def ours(t, find=matcher.find):
        return find(t)

    def bare(t, it=auto.iter):
        return list(it(t))

    def regex(t, findall=rx.findall):
        return findall(t)

    fast = timed_interleaved(
        {"ours": ours, "keys": matcher.matched_keys, "bare": bare}, messages, TIME_BUDGET
    )
    # The regex is slow at 10,000 keywords: a 10x smaller batch, and ours again on it.
    # Strides not multiple of 10 keep the NFD share.
    subset = messages[:: {10: 1, 1_000: 7}.get(n, 19)]
    slow = timed_interleaved({"ours": ours, "regex": regex}, subset, TIME_BUDGET)
    ours_s, keys_s, bare_s = fast["ours"], fast["keys"], fast["bare"]
    regex_s = slow["regex"]
    nfd = [m for i, m in enumerate(messages) if i % 10 == 0]
    nfc = [m for i, m in enumerate(messages) if i % 10 != 0]
    nfc_t = timed_interleaved({"ours": ours, "bare": bare}, nfc, 0.5)
    nfd_t = timed_interleaved({"ours": ours, "bare": bare}, nfd, 0.5)
    nfc_s, nfd_s = nfc_t["ours"], nfd_t["ours"]
    matches = sum(len(matcher.find(m)) for m in messages[:500]) / 500
    raw_hits = sum(len(list(auto.iter(m))) for m in messages[:500]) / 500
    return {
        "n": n,
        "accent_share": accent_share,
        "ours_us": ours_s * 1e6,
        "keys_us": keys_s * 1e6,
        "raw_hits": raw_hits,
        "bare_us": bare_s * 1e6,
        "regex_us": regex_s * 1e6,
        "ours_msgs_per_s": 1 / ours_s,
        "vs_regex": regex_s / slow["ours"],
        "nfc_us": nfc_s * 1e6,
        "nfd_us": nfd_s * 1e6,
        "nfc_vs_bare": nfc_s / nfc_t["bare"],
        "nfd_vs_bare": nfd_s / nfd_t["bare"],
        "vs_bare": ours_s / bare_s,
        "matches_per_msg": matches,
    }


def build_figures(rng: random.Random) -> dict:
    keywords = make_keywords(10_000, rng, accent_share=0.1)
    gc.collect()
    start = time.perf_counter()
    KeywordMatcher(keywords)
    build_s = time.perf_counter() - start
    gc.collect()
    tracemalloc.start()
    matcher = KeywordMatcher(keywords)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    stats = [automaton.get_stats() for automaton in matcher.automata]
    start = time.perf_counter()
    rx = regex_alternation(keywords)
    regex_build_s = time.perf_counter() - start
    del rx
    return {
        "build_s": build_s,
        "regex_build_s": regex_build_s,
        "traced_current_mb": current / 2**20,
        "traced_peak_mb": peak / 2**20,
        "automata": len(stats),
        "automaton_bytes": sum(s["total_size"] for s in stats),
        "nodes": sum(s["nodes_count"] for s in stats),
    }


def _verdict(rows: list[dict]) -> str:
    at_10k = [r for r in rows if r["n"] == 10_000]
    regex_ok = all(r["vs_regex"] >= 100 for r in at_10k)
    ratios = ", ".join(f"{r['vs_regex']:,.0f}×" for r in at_10k)
    return (
        f"Target ≥ 100× faster than the regex at 10,000 keywords: "
        f"{'met' if regex_ok else 'NOT met'} ({ratios}). What ours does beyond the bare scan, "
        "in Python around pyahocorasick (`keywords/matcher.py`, `keywords/normalize.py`): "
        "normalise the message (NFC + case folding; an NFC message that folds one character "
        "to one needs no offset map, NFD text is cut into clusters normalised once and "
        "cached), accent-fold it for the accent-insensitive keywords (a second automaton), "
        "check boundaries and anchors per raw hit and build the `KeywordMatch` tuples. The "
        "bare scan runs on the raw text with lower-cased keywords, so upper-case words give it "
        "fewer raw hits than ours sees."
    )


def render(rows: list[dict], build: dict, elapsed: float) -> str:
    lines = [
        "## Keyword engine",
        "",
        f"`python bench/bench_keywords.py` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"Python {platform.python_version()}, pyahocorasick, {platform.machine()}, 2-core "
        f"virtual machine (load average {os.getloadavg()[0]:.1f} at the end; absolute times "
        f"vary with the host, the ratios are measured interleaved, best time per 50-message "
        f"chunk, garbage collector off while timing). Runtime {elapsed:.0f} s.",
        "",
        f"Messages: {N_MESSAGES} × {MESSAGE_LEN} characters mixing English, Vietnamese, Thai, "
        "Czech, Indonesian and emoji (everyday words, ~8 % of words being keywords, 15 % "
        "upper-cased, every 10th message in NFD; *raw hits* = hits of the bare scan per message, "
        "*matches* = what ours accepts). Keywords: real shop words plus synthetic "
        "words in the same scripts; modes 60 % whole word, 20 % contains, 10 % exact, "
        "10 % starts with. "
        "*ours* = `KeywordMatcher.find` (normalisation, offset mapping, boundary checks, "
        "`KeywordMatch` tuples, in Python); "
        "*regex* = one compiled `re` alternation of the same keywords "
        "(IGNORECASE, `findall`); *bare* = `list(automaton.iter(text))` on the raw text, no "
        "normalisation or checks (the ceiling).",
        "",
        "| keywords | accent-insens. | ours µs/msg | msgs/s | NFC / NFD µs (÷ bare) | raw hits "
        "| matches "
        "| `matched_keys` µs | regex µs/msg | bare µs/msg | regex ÷ ours "
        "| ours ÷ bare |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['accent_share']:.0%} | {r['ours_us']:.1f} "
            f"| {r['ours_msgs_per_s']:,.0f} | {r['nfc_us']:.1f} / {r['nfd_us']:.1f} "
            f"({r['nfc_vs_bare']:.1f}× / {r['nfd_vs_bare']:.1f}×) "
            f"| {r['raw_hits']:.1f} | {r['matches_per_msg']:.1f} "
            f"| {r['keys_us']:.1f} | {r['regex_us']:,.0f} "
            f"| {r['bare_us']:.1f} | **{r['vs_regex']:,.0f}×** | **{r['vs_bare']:.2f}×** |"
        )
    lines += [
        "",
        'The earlier target "within 2× of a bare automaton scan" is withdrawn (issue 12): '
        "it measured the wrong thing — a bare scan neither normalises nor checks anything — "
        "and it was met only by a hand-written C scanner (9.8–11.3 µs at 10,000 keywords on "
        "2026-11-29) that saved tens of µs per message on a path costing milliseconds, ran on "
        "every customer's untrusted text and needed a compiler at install. What matters is "
        "the regex ratio above and the share of the processing time (next section). For "
        "scale: the same Python engine measured 40–54 µs per message at 10,000 keywords on a "
        "quiet machine (load 0.9, 2026-11-29 04:24); absolute times above move with the "
        "machine's load, the ratios are interleaved.",
        "",
        _verdict(rows),
        "",
        f"Build at 10,000 keywords (10 % accent-insensitive; {build['automata']} automaton): "
        f"{build['build_s'] * 1000:.0f} ms (the regex alternation compiles in "
        f"{build['regex_build_s'] * 1000:.0f} ms); memory traced by tracemalloc "
        f"{build['traced_current_mb']:.1f} MB (peak {build['traced_peak_mb']:.1f} MB); "
        f"pyahocorasick reports {build['automaton_bytes'] / 2**20:.1f} MB for "
        f"{build['nodes']:,} trie nodes.",
        "",
    ]
    return "\n".join(lines)


def write_section(path: Path, section: str, heading: str = "## Keyword engine") -> None:
    """Replace the ``heading`` section, keeping every other section intact."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    replaced = False
    while i < len(lines):
        if lines[i].strip() == heading:
            out.append(section.rstrip("\n") + "\n\n")
            replaced = True
            i += 1
            while i < len(lines) and not lines[i].startswith("## "):
                i += 1
            continue
        out.append(lines[i])
        i += 1
    if not replaced:
        if out and not out[-1].endswith("\n"):
            out.append("\n")
        if out and out[-1].strip():
            out.append("\n")
        out.append(section.rstrip("\n") + "\n")
    path.write_text("".join(out).rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    rng = random.Random(SEED)
    rows = []
    for n in (10, 1_000, 10_000):
        for share in (0.0, 0.1):
            row = run_size(n, share, rng)
            rows.append(row)
            print(
                f"{n:>6} kw, {share:.0%} accent-insensitive: ours {row['ours_us']:.1f} µs, "
                f"bare {row['bare_us']:.1f} µs, regex {row['regex_us']:.0f} µs -> "
                f"{row['vs_regex']:.0f}x faster than regex, {row['vs_bare']:.2f}x bare",
                flush=True,
            )
    build = build_figures(rng)
    print(build)
    elapsed = time.perf_counter() - started
    section = render(rows, build, elapsed)
    print(section)
    if not args.no_write:
        write_section(ROOT / "docs" / "benchmarks.md", section)


if __name__ == "__main__":
    main()
