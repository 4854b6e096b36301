"""NER at scale: generate a synthetic CoNLL corpus (~200,000 training tokens plus dev and
test) from templates and name lists, train ``python -m nnlib.ner`` on it with its default
configuration, print the wall time and the test entity F1.

    python -m bench.ner_synthetic [--tokens 200000] [--keep DIR] [extra CLI flags …]

The requirement it checks: the CLI trains on 200k tokens in at most 10 minutes on 2 cores.
A stand-alone script: it defines no ``cases()``, so ``python -m bench`` skips it.
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / ".ci"))
from numeric_env import BLAS_THREADS  # noqa: E402  (threads only: a benchmark keeps the machine's fastest kernels)

SYLLABLES = ("ka ren ber lin mo ta vi son ri go da mel ar to ni ve sa lo hu fen dor quin ba "
             "zel ma tri ko pe ran us el hal wick ston ford ley ham ton ger ov ski ez").split()
FIRST = ("John Mary Peter Anna David Maria Michael Laura James Elena Thomas Sofia Robert Ingrid "
         "Ahmed Fatima Kenji Yuki Carlos Lucia Pierre Claire Hans Greta Ivan Olga Li Wei Raj Priya "
         "Tom Jane Paul Sarah Mark Emma Luis Ana Jan Eva").split()
COUNTRIES = ("France Germany Spain Italy Japan China India Brazil Canada Mexico Egypt Kenya Norway "
             "Sweden Poland Greece Turkey Chile Peru Russia Australia Argentina Nigeria Vietnam").split()
NATIONALITIES = ("French German Spanish Italian Japanese Chinese Indian Brazilian Canadian Mexican "
                 "Egyptian Kenyan Norwegian Swedish Polish Greek Turkish Chilean Russian").split()
EVENTS = ["World Cup", "Olympic Games", "Tour de France", "Grand Prix", "Davis Cup", "Euro 2000",
          "Champions League", "Super Bowl", "Nobel Prize", "Cold War"]
ORG_SUFFIX = ["Corp", "Inc", "Group", "Bank", "Holdings", "Airlines", "Motors", "Telecom", "Ltd"]
ROLES = "minister striker chairman spokesman analyst coach director lawyer president officer".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
FILLER = ("the market was quiet as traders waited for new figures and prices moved little in thin "
          "volume while officials said the talks would continue next week after a long delay").split()

# {P} person, {L} location, {O} organisation, {M} misc, {N} number, {R} role, {D} day, {F} filler run,
# {C} a city name used as a sports club (tagged ORG, as in CoNLL-2003's results tables)
TEMPLATES = [
    "{P} , the {N}-year-old {R} from {L} , joined {O} on {D} .",
    "{O} shares rose {N} percent in {L} trading on {D} .",
    "{P} scored twice as {O} beat {O} {N}-{N} in the {M} .",
    "The {M} team arrived in {L} on {D} , {P} said .",
    "Police in {L} said {N} people were injured , {F} .",
    "{P} told reporters in {L} that {O} would cut {N} jobs .",
    "{L}-based {O} said its profit fell to {N} million dollars .",
    "{F} , {P} said .",
    "{R} {P} of {O} met {P} in {L} .",
    "{M} officials in {L} denied the report on {D} .",
    "{O} ( {L} ) {N} {O} ( {L} ) {N}",
    "{C} {N} {C} {N}",
    "{C} beat {C} {N}-{N} in {L} on {D} .",
    "{P} ( {L} ) beat {P} ( {L} ) {N}-{N} {N}-{N} .",
    "The {O} board will meet in {L} on {D} to discuss the {M} .",
    "{F} .",
]


def _name(rng, parts):
    return "".join(rng.choice(SYLLABLES, size=parts)).capitalize()


def _vocabulary(rng):
    """Name lists as (train names, dev/test names): training sees 70 % of each list, dev and
    test draw from all of it, so about 30 % of their names were never seen in training."""
    lasts = sorted({_name(rng, rng.integers(2, 4)) for _ in range(6000)})
    cities = sorted({_name(rng, rng.integers(2, 4)) + rng.choice(["", "", "burg", "ville", " City"])
                     for _ in range(2500)})
    orgs = sorted({f"{_name(rng, 2)} {rng.choice(ORG_SUFFIX)}" for _ in range(2500)}
                  | {"".join(rng.choice(list("ABCDEFGHKLMNPRSTUW"), size=rng.integers(2, 5)))
                     for _ in range(400)})
    lists = {"P": lasts, "L": cities + COUNTRIES, "O": orgs,
             "M": NATIONALITIES + EVENTS}
    split = {}
    for key, items in lists.items():
        items = [str(x) for x in rng.permutation(items)]
        cut = int(0.7 * len(items))
        split[key] = (items[:cut], items)
    return split


def _entity(rng, key, names, held_out, kind=None):
    pool = names[1] if held_out else names[0]
    text = pool[rng.integers(len(pool))]  # indexing, not rng.choice: no list → array per call
    if key == "P" and rng.random() < 0.6:
        text = f"{FIRST[rng.integers(len(FIRST))]} {text}"
    kind = kind or {"P": "PER", "L": "LOC", "O": "ORG", "M": "MISC"}[key]
    words = text.split()
    return words, [f"B-{kind}"] + [f"I-{kind}"] * (len(words) - 1)


def _filler(rng, key, vocab, held_out):
    """Tokens and tags for one slot of a template."""
    if key in "PLOM":
        return _entity(rng, key, vocab[key], held_out)
    if key == "C":
        return _entity(rng, "L", vocab["L"], held_out, kind="ORG")
    if key == "N":
        return [str(rng.integers(1, 100))], ["O"]
    if key == "R":
        return [ROLES[rng.integers(len(ROLES))]], ["O"]
    if key == "D":
        return [DAYS[rng.integers(len(DAYS))]], ["O"]
    start = rng.integers(len(FILLER) - 8)  # "F": a run of lower-case filler words
    words = FILLER[start:start + rng.integers(4, 9)]
    return words, ["O"] * len(words)


def sentence(rng, vocab, held_out=False):
    """One (tokens, tags) pair from a random template.  A slot that is a whole template word
    ("{P}") may span several tokens; one glued to text ("{N}-year-old", "{L}-based") becomes
    part of a single token tagged O."""
    tokens, tags = [], []
    for piece in TEMPLATES[rng.integers(len(TEMPLATES))].split():
        slot = re.fullmatch(r"\{([A-Z])\}", piece)
        if slot:
            words, ts = _filler(rng, slot.group(1), vocab, held_out)
        else:
            words = [re.sub(r"\{([A-Z])\}", lambda m: _filler(rng, m.group(1), vocab, held_out)[0][-1], piece)]
            ts = ["O"]
        tokens += words
        tags += ts
    return tokens, tags


def write_corpus(folder, train_tokens=200_000, seed=0):
    """Write train.txt (≈ train_tokens tokens), dev.txt and test.txt (≈ 10 % each) into
    ``folder``; returns the three paths."""
    rng = np.random.default_rng(seed)
    vocab = _vocabulary(rng)
    paths = []
    for name, size, held_out in [("train", train_tokens, False), ("dev", train_tokens // 10, True),
                                 ("test", train_tokens // 10, True)]:
        lines, count = [], 0
        while count < size:
            toks, tags = sentence(rng, vocab, held_out)
            lines += [f"{t} {g}" for t, g in zip(toks, tags)] + [""]
            count += len(toks)
        path = Path(folder) / f"{name}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200_000, help="training tokens (default: %(default)s)")
    parser.add_argument("--keep", help="write the corpus and model here instead of a temporary folder")
    args, extra = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        train, dev, test = write_corpus(folder, args.tokens)
        sizes = [sum(1 for line in open(p, encoding="utf-8") if line.strip()) for p in (train, dev, test)]
        print(f"synthetic corpus in {folder}: train {sizes[0]}, dev {sizes[1]}, test {sizes[2]} tokens")
        cmd = [sys.executable, "-m", "nnlib.ner", "--train", str(train), "--dev", str(dev), "--test", str(test),
               "--out", str(folder / "model.npz"), "--seed", "0"] + extra
        print("running:", " ".join(cmd[1:]), flush=True)
        start = time.perf_counter()
        # one BLAS thread unless the caller says otherwise: the matrices are small (64 × 400), so a
        # second thread gains little, and on a shared machine its spinning makes everything slower
        env = {**BLAS_THREADS, **os.environ}
        result = subprocess.run(cmd, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        print(result.stdout)
        if result.returncode:
            print(result.stderr, file=sys.stderr)
            raise SystemExit(f"nnlib.ner failed with exit code {result.returncode}")
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        overall = [line for line in result.stdout.splitlines() if line.startswith("overall")][-1]
        print(f"wall time {wall:.1f} s ({wall / 60:.2f} min, limit 10 min; CPU {cpu.ru_utime + cpu.ru_stime:.1f} s), "
              f"test entity F1 {float(overall.split()[3]):.2f}")


if __name__ == "__main__":
    main()
