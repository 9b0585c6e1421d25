#!/usr/bin/env python3
"""Outside the benchmark's clock: reads every job ID that http_load accepted and checks its final state through
GET /jobs/{id}, so a run whose jobs failed (or never finished) cannot pass as fast.

Usage: verify_jobs.py PORT IDS_FILE
Prints one JSON line {"checked": n, "success": s, "failure": f, "other": o, "first_error": "..."}."""
import http.client
import json
import sys


def main():
    port, ids_file = int(sys.argv[1]), sys.argv[2]
    with open(ids_file) as f:
        ids = [line.strip() for line in f if line.strip()]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    counts = {"SUCCESS": 0, "FAILURE": 0, "other": 0}
    first_error = ""
    for job_id in ids:
        conn.request("GET", "/jobs/" + job_id)
        response = conn.getresponse()
        envelope = json.loads(response.read() or b"null")
        data = envelope.get("data") or {} if response.status == 200 else {}
        state = data.get("state", "?")
        counts[state if state in counts else "other"] += 1
        if state != "SUCCESS" and not first_error:
            first_error = "%s: %s %s" % (job_id, state, data.get("error") or envelope.get("message", ""))
    conn.close()
    print(json.dumps({"checked": len(ids), "success": counts["SUCCESS"], "failure": counts["FAILURE"],
                      "other": counts["other"], "first_error": first_error}))


if __name__ == "__main__":
    main()
