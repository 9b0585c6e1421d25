// Load generator of bench/redis/run_bench.sh: posts JOBS small jobs to a running sql-jobber from THREADS threads
// (one keep-alive HTTP/1.1 connection each) and stops the clock when the server's own counter
// jobber_jobs_total{task=TASK,state=SUCCESS|FAILURE} (GET /metrics) has grown by the number of jobs accepted.
// Written in C so that, like pgbench's client, it costs the 2-core benchmark machine next to nothing: the
// measurement is of the server, not of the load generator. Reading one counter a few times instead of every job's
// status keeps status reads (an HTTP request and a state-store read each) out of the measured work.
//
//   http_load PORT TASK JOBS THREADS IDS_FILE [POLL_MS]
//
// Prints one JSON line {"jobs", "seconds", "jobs_per_second", "refused", "metric_polls"} and writes the accepted
// job IDs to IDS_FILE, one a line, for a verification pass (verify_jobs.py) outside the clock.
// Built by run_bench.sh with `cc -O2 -pthread`; it needs nothing but libc.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kMaxBody = 1 << 20, kMaxId = 80 };

static int port;
static const char* task;
static int jobs;
static int threads;

struct Response {
    int status;
    char* body;  // NUL-terminated, owned by the connection buffer until the next request
    size_t length;
};

struct Conn {
    int fd;
    char* buffer;
    size_t used;
};

static void Die(const char* what) {
    fprintf(stderr, "http_load: %s: %s\n", what, strerror(errno));
    exit(2);
}

static double Now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void Open(struct Conn* c) {
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) Die("socket");
    if (connect(c->fd, (struct sockaddr*)&address, sizeof(address)) != 0) Die("connect");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->buffer = malloc(kMaxBody + 1);
    if (c->buffer == NULL) Die("malloc");
    c->used = 0;
}

static void SendAll(struct Conn* c, const char* data, size_t size) {
    while (size > 0) {
        ssize_t n = send(c->fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) Die("send");
        data += n;
        size -= (size_t)n;
    }
}

static void ReadMore(struct Conn* c) {
    if (c->used >= kMaxBody) {
        errno = EMSGSIZE;
        Die("response too large");
    }
    ssize_t n = recv(c->fd, c->buffer + c->used, kMaxBody - c->used, 0);
    if (n < 0 && errno == EINTR) return;
    if (n <= 0) Die("recv (server closed the connection?)");
    c->used += (size_t)n;
    c->buffer[c->used] = '\0';
}

// One request on the keep-alive connection; the server always answers with Content-Length.
static struct Response Request(struct Conn* c, const char* method, const char* path, const char* body) {
    char head[512];
    const size_t body_length = body ? strlen(body) : 0;
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, body_length);
    SendAll(c, head, (size_t)n);
    if (body_length > 0) SendAll(c, body, body_length);
    c->used = 0;
    char* end;
    while ((end = strstr(c->buffer, "\r\n\r\n")) == NULL || c->used == 0) ReadMore(c);
    struct Response r = {0};
    r.status = atoi(c->buffer + 9);  // "HTTP/1.1 200 OK"
    const char* field = strcasestr(c->buffer, "\r\ncontent-length:");
    if (field == NULL || field > end) {
        errno = EPROTO;
        Die("response without Content-Length");
    }
    r.length = strtoul(field + 17, NULL, 10);
    const size_t header_size = (size_t)(end - c->buffer) + 4;
    while (c->used < header_size + r.length) ReadMore(c);
    r.body = c->buffer + header_size;
    r.body[r.length] = '\0';
    return r;
}

struct Poster {
    int index;
    int count;
    char (*ids)[kMaxId];
    int accepted;
    int refused;
};

static void* Post(void* arg) {
    struct Poster* p = arg;
    struct Conn c;
    Open(&c);
    char path[256], body[128];
    snprintf(path, sizeof(path), "/tasks/%s/jobs", task);
    for (int i = 0; i < p->count; ++i) {
        snprintf(body, sizeof(body), "{\"args\": [\"USER%d\"]}", (p->index * p->count + i) % 20 + 1);
        struct Response r = Request(&c, "POST", path, body);
        const char* id = strstr(r.body, "\"job_id\":\"");
        if (r.status != 200 || id == NULL) {
            p->refused++;
            continue;
        }
        id += 10;
        const char* quote = strchr(id, '"');
        size_t size = quote ? (size_t)(quote - id) : 0;
        if (size == 0 || size >= kMaxId) {
            p->refused++;
            continue;
        }
        memcpy(p->ids[p->accepted], id, size);
        p->ids[p->accepted][size] = '\0';
        p->accepted++;
    }
    close(c.fd);
    free(c.buffer);
    return NULL;
}

// Sum of jobber_jobs_total{task="TASK",...,state="SUCCESS"|"FAILURE"} in the metrics text.
static long FinishedJobs(struct Conn* c) {
    struct Response r = Request(c, "GET", "/metrics", NULL);
    if (r.status != 200) {
        errno = EPROTO;
        Die("GET /metrics failed");
    }
    char wanted[256];
    snprintf(wanted, sizeof(wanted), "task=\"%s\"", task);
    long total = 0;
    for (char* line = r.body; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "jobber_jobs_total{", 18) != 0) continue;
        char* close_brace = strchr(line, '}');
        if (close_brace == NULL) continue;
        *close_brace = '\0';
        const int ours = strstr(line, wanted) != NULL &&
                         (strstr(line, "state=\"SUCCESS\"") != NULL || strstr(line, "state=\"FAILURE\"") != NULL);
        *close_brace = '}';
        if (ours) total += strtol(close_brace + 1, NULL, 10);
    }
    return total;
}

int main(int argc, char** argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: http_load PORT TASK JOBS THREADS IDS_FILE [POLL_MS]\n");
        return 2;
    }
    port = atoi(argv[1]);
    task = argv[2];
    jobs = atoi(argv[3]);
    threads = atoi(argv[4]);
    const char* ids_file = argv[5];
    const int poll_ms = argc > 6 ? atoi(argv[6]) : 5;
    if (jobs <= 0 || threads <= 0 || poll_ms <= 0) {
        fprintf(stderr, "http_load: JOBS, THREADS and POLL_MS must be positive\n");
        return 2;
    }

    struct Conn metrics;
    Open(&metrics);
    const long before = FinishedJobs(&metrics);

    struct Poster* posters = calloc((size_t)threads, sizeof(*posters));
    pthread_t* handles = calloc((size_t)threads, sizeof(*handles));
    for (int i = 0; i < threads; ++i) {
        posters[i].index = i;
        posters[i].count = jobs / threads + (i < jobs % threads ? 1 : 0);
        posters[i].ids = calloc((size_t)posters[i].count + 1, kMaxId);
    }
    const double start = Now();
    for (int i = 0; i < threads; ++i) pthread_create(&handles[i], NULL, Post, &posters[i]);

    // No job list or counter is read while posting: the clock cannot stop before the last job is accepted, and
    // a scrape costs the server work (its queue-depth gauge lists the queue). Afterwards the counter is read at
    // intervals of half the time the remaining jobs should take at the rate so far, between POLL_MS and 250 ms:
    // a dozen scrapes, and the finish is seen within about POLL_MS.
    for (int i = 0; i < threads; ++i) pthread_join(handles[i], NULL);
    long posted = 0;
    for (int i = 0; i < threads; ++i) posted += posters[i].accepted;
    long polls = 0;
    double end = 0;
    for (;;) {
        const long finished = FinishedJobs(&metrics) - before;
        ++polls;
        const double now = Now();
        if (finished >= posted) {
            end = now;
            break;
        }
        if (now - start > 600) {
            fprintf(stderr, "http_load: gave up after 600 s with %ld of %ld jobs final\n", finished, posted);
            return 1;
        }
        const double rate = finished > 0 ? finished / (now - start) : 0;
        double wait_ms = rate > 0 ? 500.0 * (posted - finished) / rate : 250;
        if (wait_ms < poll_ms) wait_ms = poll_ms;
        if (wait_ms > 250) wait_ms = 250;
        const struct timespec pause = {0, (long)(wait_ms * 1e6)};
        nanosleep(&pause, NULL);
    }
    int refused = 0;
    for (int i = 0; i < threads; ++i) refused += posters[i].refused;

    FILE* out = fopen(ids_file, "w");
    if (out == NULL) Die(ids_file);
    for (int i = 0; i < threads; ++i) {
        for (int j = 0; j < posters[i].accepted; ++j) fprintf(out, "%s\n", posters[i].ids[j]);
    }
    fclose(out);
    const double seconds = end - start;
    printf("{\"jobs\": %d, \"seconds\": %.3f, \"jobs_per_second\": %.1f, \"refused\": %d, \"metric_polls\": %ld}\n",
           (int)posted, seconds, posted / seconds, refused, polls);
    return 0;
}
