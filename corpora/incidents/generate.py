#!/usr/bin/env python3
"""Generate the ``incidents`` corpus: long incident reports of a fictional water utility, with span answers.

Everything here is synthetic and invented for the ragvsft project by its developers: the utility
("Brackwater Vale Water"), its sites, people, equipment tags and events do not exist. The values are
drawn from small hand-written vocabularies with a fixed seed, so no pretrained model can know them.

It differs from the demo corpus on purpose: each document is one long report (about 3,000 characters of
connected prose), and each answer is a span of it — a cause, an action, a place — not a short code or
number, and many answers are phrases several words long.

Run from the repository root (standard library only, deterministic):

    python corpora/incidents/generate.py

It rewrites ``corpora/incidents/docs/`` and ``corpora/incidents/qa.jsonl``.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

SEED = 7103
REPORTS = 30
HERE = Path(__file__).resolve().parent

SITES = ["Corrin Beck treatment works", "Hallow Moss pumping station", "Tarnside service reservoir",
         "Gorsey Lane booster station", "Millbrig intake", "Scarrow Edge treatment works",
         "Fellgate pumping station", "Ravensike reservoir outlet", "Oxley Ford booster station",
         "Whinmoor sludge plant"]
PEOPLE = ["Aldous Penhaligon", "Brigid Osterley", "Caspian Threlkeld", "Delphine Marrick", "Eamon Hesketh",
          "Fenella Quayle", "Gideon Tarrant", "Hesper Vane", "Isolde Crummock", "Jory Blencathra",
          "Kezia Wharfe", "Lucan Ashdown", "Morwenna Tilly", "Niall Gorringe", "Oriel Stainton"]
ASSETS = ["raw water pump {n}", "chlorine dosing line {n}", "backwash blower {n}", "inlet screen {n}",
          "clear water tank {n}", "surge vessel {n}", "UV reactor {n}", "filter bed {n}"]
CAUSES = [
    "a cracked flange gasket on the discharge side",
    "a seized non-return valve that had not been exercised since commissioning",
    "a failed level transmitter reading a constant half-full tank",
    "a tripped motor overload after a bearing ran dry",
    "an air lock left in the suction main after maintenance",
    "a software update that reset the duty and standby pump order",
    "a blocked sample line feeding the turbidity monitor",
    "corrosion of the earth strap on the control panel",
    "a contractor's excavator striking the power cable",
    "ice forming in an unlagged instrument tube",
    "a worn impeller that had lost a third of its vanes",
    "an incorrectly torqued coupling working loose",
]
ACTIONS = [
    "isolated the asset and switched to the standby unit",
    "opened the bypass and reduced the flow to the minimum licence rate",
    "tankered water to the reservoir from the neighbouring works",
    "replaced the part from site spares and restarted under supervision",
    "put the site into manual control and posted an operator overnight",
    "flushed the affected main and took extra bacteriological samples",
    "fitted a temporary clamp and arranged a planned repair",
    "rolled the control software back to the previous release",
]
FOLLOW_UPS = [
    "add the valve to the quarterly exercising schedule",
    "fit a second level transmitter so the two readings can be compared",
    "lag every exposed instrument tube before the first frost",
    "mark buried cables with warning tape before any excavation",
    "check coupling torque at every six-monthly inspection",
    "test every software update on the spare controller first",
    "hold a stock of two impellers at the site stores",
    "review the maintenance procedure for venting the suction main",
]
DETECTIONS = ["a low-pressure alarm at the control room", "a customer call about discoloured water",
              "the night operator on a routine walk-round", "a turbidity alarm on the final water monitor",
              "the telemetry reporting a communication failure", "a neighbouring farmer who saw water on the road"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]

# One question template pair per fact: the first phrasing can be trained on, the second is held out.
QUESTIONS = {
    "cause": ("What caused incident {code}?", "According to the report on {code}, what was the root cause?"),
    "detection": ("How was incident {code} first detected?", "What first brought incident {code} to notice?"),
    "action": ("What did the duty team do to restore supply in incident {code}?",
               "Which immediate action did the responders take during incident {code}?"),
    "follow_up": ("What follow-up action was agreed after incident {code}?",
                  "Which change did the review of incident {code} decide on?"),
    "engineer": ("Who was the duty engineer for incident {code}?", "Which engineer led the response to {code}?"),
    "asset": ("Which asset failed in incident {code}?", "In incident {code}, what piece of equipment failed?"),
}


def report(rng: random.Random, n: int) -> tuple[str, dict[str, str], str]:
    code = f"BVW-{2024 + n % 2}-{100 + 7 * n:03d}"
    site, engineer, manager = rng.choice(SITES), *rng.sample(PEOPLE, 2)
    asset = rng.choice(ASSETS).format(n=rng.randint(1, 4))
    cause, action, follow_up, detection = (rng.choice(CAUSES), rng.choice(ACTIONS), rng.choice(FOLLOW_UPS),
                                           rng.choice(DETECTIONS))
    day, month, hour = rng.randint(1, 28), rng.choice(MONTHS), rng.randint(0, 23)
    minutes, customers = rng.choice([35, 50, 75, 95, 140, 210, 260]), rng.choice([0, 120, 480, 1900, 3400])
    facts = {"cause": cause, "detection": detection, "action": action, "follow_up": follow_up,
             "engineer": engineer, "asset": asset}
    impact = (f"About {customers} customers saw low pressure or no supply for up to {minutes} minutes."
              if customers else "No customer lost supply, because the reservoir held enough storage throughout.")
    text = f"""# Incident report {code}: {asset} at {site}

Report {code} covers an unplanned event at {site} on {day} {month}, starting at {hour:02d}:00. It was written
by the duty engineer, {engineer}, and reviewed by the area operations manager, {manager}, under the utility's
incident reporting standard. It records what happened, why, what was done at the time and what will change.

## What happened

The event was first noticed through {detection}. The control room logged it within a few minutes and called
out the duty engineer, who reached the site and confirmed that {asset} had stopped doing its job. {impact}
Water quality stayed within the drinking water limits throughout, and every sample taken during and after the
event met the standard.

## Why it happened

The investigation that followed found that the failure of {asset} came from {cause}. Nothing in the recent
maintenance records had pointed to it, and the alarms that should have given an earlier warning were either
set too wide or did not cover this part of the plant. The review agreed that the same weakness could exist at
similar sites, which is why the follow-up below applies more widely than to {site} alone.

## What the team did at the time

To keep customers in supply, the duty team {action}. Operators then watched the site closely until normal
operation was confirmed, recording flows, pressures and chlorine residuals every fifteen minutes. The
regional control room was kept informed, and customer services received a short statement to read to callers.

## What will change

The review decided to {follow_up}. The area operations manager owns this action and will report on it at the
next monthly performance meeting. Until it is complete, operators at {site} will check {asset} on every shift.
"""
    return code, facts, text


def main() -> None:
    rng = random.Random(SEED)
    docs = HERE / "docs"
    shutil.rmtree(docs, ignore_errors=True)
    docs.mkdir(parents=True)
    rows = []
    for n in range(REPORTS):
        code, facts, text = report(rng, n)
        path = f"reports/{code.lower()}.md"
        (docs / path).parent.mkdir(parents=True, exist_ok=True)
        (docs / path).write_text(text, encoding="utf-8", newline="\n")
        for kind, answer in facts.items():
            assert answer in text, (code, kind)
            first, second = (q.format(code=code) for q in QUESTIONS[kind])
            # A third of the facts are trained on and asked again in other words (seen), a third are only
            # asked (unseen: closed-book fine-tuning cannot know them), a third are only trained on.
            role = ("seen", "unseen", "train_only")[(n + list(QUESTIONS).index(kind)) % 3]
            base = {"answer": answer, "sources": [path], "tags": [kind, f"{role}_fact"]}
            if role in ("seen", "train_only"):
                rows.append({"id": f"{code.lower()}-{kind}-a", "question": first, "split": "train", **base})
            if role in ("seen", "unseen"):
                rows.append({"id": f"{code.lower()}-{kind}-b", "question": second, "split": "eval", **base})
    with (HERE / "qa.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    splits = [r["split"] for r in rows]
    print(f"{REPORTS} reports, {splits.count('train')} train / {splits.count('eval')} eval questions")


if __name__ == "__main__":
    main()
