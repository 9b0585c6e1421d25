#!/usr/bin/env python3
"""Posts N small jobs to a running sql-jobber from T client threads, waits until every job is final, and prints
one JSON line: {"jobs": N, "seconds": s, "jobs_per_second": r, "failed": f, "refused": x, "status_polls": p}.

Usage: http_load.py PORT TASK JOBS THREADS
Each thread keeps one HTTP connection open. The clock runs from the first POST to the last job seen final."""
import http.client
import json
import sys
import threading
import time


def main():
    port, task, jobs, threads = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    per_thread = [jobs // threads + (1 if i < jobs % threads else 0) for i in range(threads)]
    failed, refused, polls = [0], [0], [0]
    lock = threading.Lock()

    def request(conn, method, path, body=None):
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")

    def client(index, count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        ids = []
        for i in range(count):
            body = json.dumps({"args": ["USER%d" % ((index * count + i) % 20 + 1)]})
            status, envelope = request(conn, "POST", "/tasks/%s/jobs" % task, body)
            if status != 200:
                with lock:
                    refused[0] += 1
                continue
            ids.append(envelope["data"]["job_id"])
        for job_id in ids:
            while True:
                status, envelope = request(conn, "GET", "/jobs/" + job_id)
                with lock:
                    polls[0] += 1
                state = envelope["data"]["state"] if status == 200 else "?"
                if state in ("SUCCESS", "FAILURE"):
                    if state == "FAILURE":
                        with lock:
                            failed[0] += 1
                    break
                time.sleep(0.005)
        conn.close()

    workers = [threading.Thread(target=client, args=(i, n)) for i, n in enumerate(per_thread)]
    start = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.monotonic() - start
    print(json.dumps({"jobs": jobs, "seconds": round(seconds, 3), "jobs_per_second": round(jobs / seconds, 1),
                      "failed": failed[0], "refused": refused[0], "status_polls": polls[0]}))


if __name__ == "__main__":
    main()
