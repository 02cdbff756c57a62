#!/usr/bin/env python3
"""Starts a study through the gateway, follows its progress stream and prints its per-condition table.

Usage: study.py GATEWAY_URL DEFINITION.yaml   (keys from RUNMESH_SUBMITTER_KEY and RUNMESH_VIEWER_KEY)

- POST /api/studies with the YAML definition (the same definition again answers the same study).
- Reads GET /api/studies/{id}/events/stream (Server-Sent Events) and prints a progress line per finished run.
- Prints GET /api/studies/{id}'s conditions: factors, counts, p50/p95 duration, cost and tokens.
Exits 1 unless the study completed. Only the standard library.
"""

import json
import os
import sys
import time
import urllib.request

import sse


def say(text):
    print(f"[mesh]   {text}", file=sys.stderr, flush=True)


def request(url, key, method="GET", data=None, content_type=None, timeout=60):
    req = urllib.request.Request(url, data=data, method=method, headers={"X-Api-Key": key})
    if content_type:
        req.add_header("Content-Type", content_type)
    return urllib.request.urlopen(req, timeout=timeout)


def main():
    gateway, path = sys.argv[1], sys.argv[2]
    submitter, viewer = os.environ["RUNMESH_SUBMITTER_KEY"], os.environ["RUNMESH_VIEWER_KEY"]
    with open(path, "rb") as definition:
        with request(f"{gateway}/api/studies", submitter, "POST", definition.read(), "application/yaml") as response:
            started = json.load(response)
    study_id = started["studyId"]
    say(f"study {study_id}: {started['plannedRuns']} runs over {len(started['conditions'])} conditions ({started['state']})")
    began = time.monotonic()
    for event_type, data in sse.events(f"{gateway}/api/studies/{study_id}/events/stream", viewer, timeout=300):
        payload = data.get("payload", {})
        counts = payload.get("counts", {})
        if event_type == "study.run_finished":
            say(f"{time.monotonic() - began:5.2f}s  run {payload['conditionId']}/{payload['replicate']} {payload['state']}"
                f"  — completed {counts.get('completed')}, failed {counts.get('failed')}, running {counts.get('running')}, pending {counts.get('pending')}")
        elif event_type == "study.finished":
            say(f"{time.monotonic() - began:5.2f}s  study {payload['state']}")

    with request(f"{gateway}/api/studies/{study_id}", viewer) as response:
        study = json.load(response)
    say(f"{'condition':<15} {'factors':<48} {'done':>4} {'p50 ms':>7} {'p95 ms':>7} {'cost USD':>10} {'tokens in/out':>14}")
    for condition in study["conditions"]:
        factors = json.dumps(condition["factors"], separators=(",", ":"))
        duration = condition.get("durationMs") or {}
        cost = condition.get("costUsd") or {}
        tokens = condition.get("tokens") or {}
        say(f"{condition['conditionId']:<15} {factors:<48} {condition['counts']['completed']:>4} {duration.get('p50')!s:>7} "
            f"{duration.get('p95')!s:>7} {cost.get('total')!s:>10} {str(tokens.get('input')) + '/' + str(tokens.get('output')):>14}")
    say(f"results: {gateway}/api/studies/{study_id}/runs (NDJSON; Accept: text/csv or application/vnd.apache.parquet)")
    return 0 if study["state"] == "completed" else 1


if __name__ == "__main__":
    sys.exit(main())
