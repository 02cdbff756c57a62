"""Reads a Server-Sent Events stream of the RunMesh gateway (the demo scripts' one SSE client; standard library only)."""

import json
import urllib.request


def events(url, key, timeout=120):
    """Yields (event type, data as JSON) for each event of the stream at url, until the server closes it."""
    request = urllib.request.Request(url, headers={"X-Api-Key": key})
    with urllib.request.urlopen(request, timeout=timeout) as stream:
        event_type, data = None, []
        for raw in stream:
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("event:"):
                event_type = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and event_type:
                yield event_type, json.loads("\n".join(data))
                event_type, data = None, []
