#!/usr/bin/env python3
"""Follows one run through the gateway's event stream, as a client would, and prints each step as it happens.

Usage: follow.py GATEWAY_URL RUN_ID   (keys from RUNMESH_VIEWER_KEY and RUNMESH_APPROVER_KEY)

- Reads GET /api/runs/{id}/events/stream (Server-Sent Events) until the run's terminal event.
- When the run stops at an approval gate, approves it with the approver key (POST /api/approvals/{id}/decision),
  the way a person would from the approvals list.
- Prints the child runs a `run` phase starts as they start and end, and the tree of child runs at the end.
- Then prints the run's phases and usage, waits for the report service's reportUrl and prints the head of the
  Markdown report. Exits 1 unless the run completed and its report arrived.

Only the standard library: it runs wherever the mesh script does.
"""

import json
import os
import sys
import time
import urllib.request

import sse

TERMINAL = {"run.completed", "run.failed", "run.aborted", "run.cancelled"}


def say(text):
    print(f"[mesh]   {text}", file=sys.stderr, flush=True)


def request(url, key, method="GET", body=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"X-Api-Key": key})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    return urllib.request.urlopen(req, timeout=timeout)


def get_json(url, key):
    with request(url, key) as response:
        return json.load(response)


def events(gateway, run_id, key):
    """Yields (type, payload) of each event of the run's stream; the stream ends after the terminal event."""
    for event_type, data in sse.events(f"{gateway}/api/runs/{run_id}/events/stream", key):
        yield event_type, data.get("payload", {})


def approve(gateway, run_id, phase_key, approver_key):
    pending = get_json(f"{gateway}/api/approvals?state=pending&runId={run_id}", approver_key)["items"]
    for item in pending:
        decision = {"action": "approve", "comment": "Approved by the demo."}
        with request(f"{gateway}/api/approvals/{item['requestId']}/decision", approver_key, "POST", decision) as response:
            decided = json.load(response)
        say(f"approved gate {item['gate']} of phase {phase_key} as {decided['decision']['decidedBy']}")
    return len(pending) > 0


def print_tree(gateway, run, viewer, indent):
    """Prints the child runs of a run (GET /api/runs/{id} children), and theirs, one line each."""
    for child in run.get("children", []):
        say(f"{indent}{child['phaseKey']}[{child['index']}] attempt {child['attempt']}: run {child['runId']} {child['state']}")
        print_tree(gateway, get_json(f"{gateway}/api/runs/{child['runId']}", viewer), viewer, indent + "  ")


def main():
    gateway, run_id = sys.argv[1], sys.argv[2]
    viewer, approver = os.environ["RUNMESH_VIEWER_KEY"], os.environ["RUNMESH_APPROVER_KEY"]
    began = time.monotonic()
    last = None
    for event_type, payload in events(gateway, run_id, viewer):
        elapsed = f"{time.monotonic() - began:5.2f}s"
        phase = payload.get("phaseKey", "")
        if event_type == "phase.dispatched":
            say(f"{elapsed}  phase {phase} attempt {payload.get('attempt')} dispatched")
        elif event_type == "phase.succeeded":
            say(f"{elapsed}  phase {phase} attempt {payload.get('attempt')} succeeded, artifact {payload.get('artifactDigest', '')[:19]}…")
        elif event_type == "phase.attempt_failed":
            errors = "; ".join(payload.get("errors", [])[:2])
            say(f"{elapsed}  phase {phase} attempt {payload.get('attempt')} {payload.get('kind')}: {errors}")
        elif event_type == "child.started":
            say(f"{elapsed}  phase {phase} started child {payload.get('index')}: run {payload.get('childRunId')}")
        elif event_type == "child.finished":
            code = f" ({payload.get('errorCode')})" if payload.get("errorCode") else ""
            say(f"{elapsed}  phase {phase} child {payload.get('index')} {payload.get('state')}{code}")
        elif event_type == "approval.requested":
            say(f"{elapsed}  phase {phase} waits at gate {payload.get('gate')}")
            # The request reaches the approval service a moment after the event: ask until it is listed.
            for _ in range(100):
                if approve(gateway, run_id, phase, approver):
                    break
                time.sleep(0.1)
            else:
                say("the approval request never appeared in /api/approvals")
                return 1
        elif event_type in TERMINAL or event_type.startswith("run."):
            say(f"{elapsed}  {event_type}")
        last = event_type

    run = get_json(f"{gateway}/api/runs/{run_id}", viewer)
    say(f"run {gateway}/api/runs/{run_id} {run['state']} in {time.monotonic() - began:.2f}s")
    for phase in run.get("phases", []):
        say(f"  phase {phase['key']:<8} {phase['state']:<10} attempts {phase['attempts']}  artifact {phase.get('artifactDigest')}")
    if run.get("children"):
        say("  tree:")
        print_tree(gateway, run, viewer, "    ")
    usage = run.get("usage", {})
    say(f"  usage: {usage.get('inputTokens')} input tokens, {usage.get('outputTokens')} output tokens, {usage.get('costUsd')} USD")
    if last != "run.completed":
        say(f"the run ended with {last}: {json.dumps(run.get('error'))}")
        return 1

    # The report service answers RunFinished with ReportReady; the run then shows its reportUrl to every client.
    deadline = time.monotonic() + 30
    while not run.get("reportUrl") and time.monotonic() < deadline:
        time.sleep(0.2)
        run = get_json(f"{gateway}/api/runs/{run_id}", viewer)
    report_url = run.get("reportUrl")
    if not report_url:
        say("no reportUrl after 30 s (see the report service's log)")
        return 1
    say(f"report: {gateway}{report_url}   markdown: {gateway}{report_url}.md   manifest: {gateway}/api/runs/{run_id}/manifest")
    with request(f"{gateway}{report_url}.md", viewer) as response:
        for line in response.read().decode("utf-8").splitlines()[:12]:
            say(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
