// Turns C++ role classes into the C vtables of the ABI, and JOBBER_PLUGIN defines the three
// exported entry points. A plugin source file ends with, for example:
//
//   JOBBER_PLUGIN("sqlite", "1.0.0", "SQLite source and results backend",
//                 jobber::sdk::SourceRole<SqliteSource>, jobber::sdk::ResultsRole<SqliteResults>)
//
// where each role class has a constructor taking `const jobber::sdk::OpenArgs&` and a static
// `const std::vector<jobber_config_field>& ConfigFields()`.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "jobber/abi/broker.h"
#include "jobber/abi/common.h"
#include "jobber/abi/results.h"
#include "jobber/abi/source.h"
#include "jobber/abi/state.h"
#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"
#include "jobber/sdk/roles.hpp"

namespace jobber::sdk {

namespace detail {

inline char* DupString(std::string_view s) {
    char* out = static_cast<char*>(std::malloc(s.size() + 1));
    if (out == nullptr) throw std::bad_alloc();
    std::memcpy(out, s.data(), s.size());
    out[s.size()] = '\0';
    return out;
}

// Zeroes a caller-allocated output struct, never past the caller's own struct_size: a newer plugin
// may be built with a larger struct than the host that calls it.
template <class Out>
void ClearOutput(Out* out) {
    const uint32_t size = out->struct_size;
    const size_t n = size == 0 || size > sizeof(Out) ? sizeof(Out) : size;
    std::memset(static_cast<void*>(out), 0, n);
    out->struct_size = size;
}

inline OpenArgs MakeOpenArgs(const jobber_open_args* args) {
    if (args == nullptr) throw Error(JOBBER_INVALID_ARGUMENT, "open called without arguments");
    return OpenArgs{args->instance_name != nullptr ? args->instance_name : "",
                    Config(args->config, args->config_count)};
}

// ---- stream export ----

struct StreamPrivate {
    std::unique_ptr<RowStream> stream;
    std::string last_error;
};

inline int ErrnoFor(jobber_code code) {
    switch (code) {
        case JOBBER_CANCELLED:
            return ECANCELED;
        case JOBBER_DEADLINE_EXCEEDED:
            return ETIMEDOUT;
        case JOBBER_INVALID_ARGUMENT:
            return EINVAL;
        case JOBBER_UNAVAILABLE:
            return EAGAIN;  // keeps "a retry may help" across the stream
        default:
            return EIO;
    }
}

template <class Body>
int StreamGuard(ArrowArrayStream* stream, Body&& body) noexcept {
    auto* priv = static_cast<StreamPrivate*>(stream->private_data);
    try {
        body(*priv);
        return 0;
    } catch (const Error& e) {
        priv->last_error = e.what();
        return ErrnoFor(e.code());
    } catch (const std::bad_alloc&) {
        priv->last_error = "out of memory";
        return ENOMEM;
    } catch (const std::exception& e) {
        priv->last_error = e.what();
        return EIO;
    } catch (...) {
        priv->last_error = "plugin threw a non-standard exception";
        return EIO;
    }
}

inline void ExportStream(std::unique_ptr<RowStream> rows, ArrowArrayStream* out) {
    out->private_data = new StreamPrivate{std::move(rows), {}};
    out->get_schema = [](ArrowArrayStream* self, ArrowSchema* schema) -> int {
        return StreamGuard(self, [&](StreamPrivate& p) { ExportSchema(p.stream->schema(), schema); });
    };
    out->get_next = [](ArrowArrayStream* self, ArrowArray* array) -> int {
        return StreamGuard(self, [&](StreamPrivate& p) {
            *array = ArrowArray{};
            // End of stream is an array with release == NULL, per the Arrow stream spec.
            if (!p.stream->Next(array)) array->release = nullptr;
        });
    };
    out->get_last_error = [](ArrowArrayStream* self) -> const char* {
        auto* p = static_cast<StreamPrivate*>(self->private_data);
        return p->last_error.empty() ? nullptr : p->last_error.c_str();
    };
    out->release = [](ArrowArrayStream* self) {
        delete static_cast<StreamPrivate*>(self->private_data);
        self->release = nullptr;
    };
}

// ---- broker trampolines ----

inline Broker* AsBroker(jobber_broker* b) {
    return reinterpret_cast<Broker*>(b);
}

inline void ReleaseDelivery(jobber_delivery* d) {
    std::free(d->payload);
    std::free(d->queue);
    std::free(d->receipt);
    d->payload = d->queue = d->receipt = nullptr;
    d->release = nullptr;
}

// A broker class declares `static constexpr bool kRedeliversOnlyAfterLease = true;` when it never delivers a message
// again while its lease is live (jobber_broker_vtable.redelivers_only_after_lease); without it the host assumes it
// may, and guards every run with a run lease.
template <class T, class = void>
struct RedeliversOnlyAfterLease : std::false_type {};
template <class T>
struct RedeliversOnlyAfterLease<T, std::void_t<decltype(T::kRedeliversOnlyAfterLease)>>
    : std::bool_constant<T::kRedeliversOnlyAfterLease> {};

template <class T>
const jobber_broker_vtable* BrokerVtable() {
    static const jobber_broker_vtable table = [] {
        jobber_broker_vtable t{};
        t.struct_size = sizeof(t);
        t.open = [](const jobber_open_args* args, jobber_broker** out, jobber_error* err) {
            return Guard(err, [&] {
                Broker* impl = new T(MakeOpenArgs(args));
                *out = reinterpret_cast<jobber_broker*>(impl);
            });
        };
        t.close = [](jobber_broker* b) { delete AsBroker(b); };
        t.push = [](jobber_broker* b, const char* queue, const char* payload, size_t size, int64_t eta,
                    jobber_error* err) {
            return Guard(err, [&] { AsBroker(b)->Push(queue, std::string_view(payload, size), eta); });
        };
        t.pop = [](jobber_broker* b, const char* const* queues, uint32_t count, int64_t wait_ms, int64_t lease_ms,
                   jobber_delivery* out, jobber_error* err) {
            bool got = false;
            jobber_code code = Guard(err, [&] {
                std::vector<std::string> names(queues, queues + count);
                auto d =
                    AsBroker(b)->Pop(names, std::chrono::milliseconds(wait_ms), std::chrono::milliseconds(lease_ms));
                if (!d) return;
                got = true;
                ClearOutput(out);
                out->payload = DupString(d->payload);
                out->payload_size = d->payload.size();
                out->queue = DupString(d->queue);
                out->receipt = DupString(d->receipt);
                out->delivery_count = d->delivery_count;
                out->release = &ReleaseDelivery;
            });
            if (code == JOBBER_OK && !got) return JOBBER_DEADLINE_EXCEEDED;
            return code;
        };
        t.ack = [](jobber_broker* b, const char* receipt, jobber_error* err) {
            return Guard(err, [&] { AsBroker(b)->Ack(receipt); });
        };
        t.requeue = [](jobber_broker* b, const char* receipt, int64_t eta, jobber_error* err) {
            return Guard(err, [&] { AsBroker(b)->Requeue(receipt, eta); });
        };
        t.extend = [](jobber_broker* b, const char* receipt, int64_t lease_ms, jobber_error* err) {
            return Guard(err, [&] { AsBroker(b)->Extend(receipt, std::chrono::milliseconds(lease_ms)); });
        };
        t.list_pending = [](jobber_broker* b, const char* queue, jobber_pending_visitor visit, void* ctx,
                            jobber_error* err) {
            return Guard(err, [&] {
                AsBroker(b)->ListPending(queue, [&](const PendingMessage& m) {
                    jobber_pending_message msg{sizeof(jobber_pending_message), m.payload.data(), m.payload.size(),
                                               m.eta_unix_ms};
                    return visit(ctx, &msg) == 0;
                });
            });
        };
        t.ping = [](jobber_broker* b, jobber_error* err) { return Guard(err, [&] { AsBroker(b)->Ping(); }); };
        t.redelivers_only_after_lease = RedeliversOnlyAfterLease<T>::value ? 1 : 0;
        return t;
    }();
    return &table;
}

// ---- state trampolines ----

inline StateStore* AsState(jobber_state* s) {
    return reinterpret_cast<StateStore*>(s);
}

inline void ReleaseJobRecord(jobber_job_record* r) {
    std::free(r->token);
    std::free(r->body);
    r->token = r->body = nullptr;
    r->release = nullptr;
}

inline void ExportJobRecord(const JobRecord& in, jobber_job_record* out) {
    ClearOutput(out);
    out->state = in.state;
    out->token = DupString(in.token);
    out->body = DupString(in.body);
    out->body_size = in.body.size();
    out->release = &ReleaseJobRecord;
}

inline void ReleaseBuffer(jobber_buffer* b) {
    std::free(b->data);
    b->data = nullptr;
    b->release = nullptr;
}

template <class T>
const jobber_state_vtable* StateVtable() {
    static const jobber_state_vtable table = [] {
        jobber_state_vtable t{};
        t.struct_size = sizeof(t);
        t.open = [](const jobber_open_args* args, jobber_state** out, jobber_error* err) {
            return Guard(err, [&] {
                StateStore* impl = new T(MakeOpenArgs(args));
                *out = reinterpret_cast<jobber_state*>(impl);
            });
        };
        t.close = [](jobber_state* s) { delete AsState(s); };
        t.cas_job = [](jobber_state* s, const char* id, uint32_t mask, const char* token, const jobber_job_write* w,
                       jobber_job_record* current, jobber_error* err) {
            bool ok = false;
            jobber_code code = Guard(err, [&] {
                JobWrite write{w->state,
                               w->token != nullptr ? w->token : "",
                               std::string_view(w->body, w->body_size),
                               w->ttl_ms,
                               {}};
                // A 1.0 host's struct ends before `queue`: read it only when the writer had it.
                if (w->struct_size >= offsetof(jobber_job_write, queue) + sizeof(w->queue) && w->queue != nullptr) {
                    write.queue = w->queue;
                }
                JobRecord found;
                std::optional<std::string_view> expect;
                if (token != nullptr) expect = token;
                ok = AsState(s)->CasJob(id, mask, expect, write, &found);
                if (!ok && current != nullptr) ExportJobRecord(found, current);
            });
            if (code == JOBBER_OK && !ok) return JOBBER_FAILED_PRECONDITION;
            return code;
        };
        t.get_job = [](jobber_state* s, const char* id, jobber_job_record* out, jobber_error* err) {
            bool found = false;
            jobber_code code = Guard(err, [&] {
                auto record = AsState(s)->GetJob(id);
                if (!record) return;
                found = true;
                ExportJobRecord(*record, out);
            });
            if (code == JOBBER_OK && !found) return JOBBER_NOT_FOUND;
            return code;
        };
        t.delete_job = [](jobber_state* s, const char* id, jobber_error* err) {
            return Guard(err, [&] { AsState(s)->DeleteJob(id); });
        };
        t.put_group = [](jobber_state* s, const char* id, const char* body, size_t size, int64_t ttl_ms,
                         jobber_error* err) {
            return Guard(err, [&] { AsState(s)->PutGroup(id, std::string_view(body, size), ttl_ms); });
        };
        t.get_group = [](jobber_state* s, const char* id, jobber_buffer* out, jobber_error* err) {
            bool found = false;
            jobber_code code = Guard(err, [&] {
                auto body = AsState(s)->GetGroup(id);
                if (!body) return;
                found = true;
                out->data = DupString(*body);
                out->size = body->size();
                out->release = &ReleaseBuffer;
            });
            if (code == JOBBER_OK && !found) return JOBBER_NOT_FOUND;
            return code;
        };
        t.delete_group = [](jobber_state* s, const char* id, jobber_error* err) {
            return Guard(err, [&] { AsState(s)->DeleteGroup(id); });
        };
        t.acquire_slot = [](jobber_state* s, const char* key, uint32_t limit, const char* holder, int64_t lease_ms,
                            int32_t* acquired, jobber_error* err) {
            return Guard(err, [&] { *acquired = AsState(s)->AcquireSlot(key, limit, holder, lease_ms) ? 1 : 0; });
        };
        t.release_slot = [](jobber_state* s, const char* key, const char* holder, jobber_error* err) {
            return Guard(err, [&] { AsState(s)->ReleaseSlot(key, holder); });
        };
        t.ping = [](jobber_state* s, jobber_error* err) { return Guard(err, [&] { AsState(s)->Ping(); }); };
        t.list_queue = [](jobber_state* s, const char* queue, uint32_t limit, jobber_queued_job_visitor visitor,
                          void* context, jobber_error* err) {
            return Guard(err, [&] {
                AsState(s)->ListQueue(queue, limit, [&](const QueuedJob& job) {
                    // Views into the plugin's strings: NUL-terminate the ones C reads as strings.
                    const std::string job_id(job.job_id);
                    const std::string token(job.token);
                    jobber_queued_job view{};
                    view.struct_size = sizeof(view);
                    view.job_id = job_id.c_str();
                    view.state = job.state;
                    view.token = token.c_str();
                    view.body = job.body.data();
                    view.body_size = job.body.size();
                    return visitor(context, &view) == 0;
                });
            });
        };
        return t;
    }();
    return &table;
}

// ---- source trampolines ----

inline Source* AsSource(jobber_source* s) {
    return reinterpret_cast<Source*>(s);
}

template <class T>
const jobber_source_vtable* SourceVtable() {
    static const jobber_source_vtable table = [] {
        jobber_source_vtable t{};
        t.struct_size = sizeof(t);
        t.open = [](const jobber_open_args* args, jobber_source** out, jobber_error* err) {
            return Guard(err, [&] {
                Source* impl = new T(MakeOpenArgs(args));
                *out = reinterpret_cast<jobber_source*>(impl);
            });
        };
        t.close = [](jobber_source* s) { delete AsSource(s); };
        t.prepare = [](jobber_source* s, const char* task, const char* sql, int32_t raw, jobber_statement_info* out,
                       jobber_error* err) {
            return Guard(err, [&] { out->param_count = AsSource(s)->Prepare(task, sql, raw != 0); });
        };
        t.execute = [](jobber_source* s, const jobber_query* q, ArrowArrayStream* out, jobber_error* err) {
            return Guard(err, [&] {
                Query query;
                query.id = q->query_id;
                query.task_name = q->task_name != nullptr ? q->task_name : "";
                query.sql = q->sql != nullptr ? q->sql : "";
                query.raw = q->raw != 0;
                query.params = q->params;
                query.param_count = q->param_count;
                query.timeout_ms = q->timeout_ms;
                if (q->batch_rows > 0) query.batch_rows = q->batch_rows;
                auto rows = AsSource(s)->Execute(query);
                if (!rows) throw Error(JOBBER_INTERNAL, "source returned no row stream");
                ExportStream(std::move(rows), out);
            });
        };
        t.cancel = [](jobber_source* s, uint64_t id, jobber_error* err) {
            return Guard(err, [&] { AsSource(s)->Cancel(id); });
        };
        t.ping = [](jobber_source* s, jobber_error* err) { return Guard(err, [&] { AsSource(s)->Ping(); }); };
        return t;
    }();
    return &table;
}

// ---- results trampolines ----

inline ResultsBackend* AsResults(jobber_results* r) {
    return reinterpret_cast<ResultsBackend*>(r);
}

struct ResultsTxn {
    std::unique_ptr<ResultsWriter> writer;
    Schema schema;
};

inline ResultsTxn* AsTxn(jobber_results_txn* t) {
    return reinterpret_cast<ResultsTxn*>(t);
}

template <class T>
const jobber_results_vtable* ResultsVtable() {
    static const jobber_results_vtable table = [] {
        jobber_results_vtable t{};
        t.struct_size = sizeof(t);
        t.open = [](const jobber_open_args* args, jobber_results** out, jobber_error* err) {
            return Guard(err, [&] {
                ResultsBackend* impl = new T(MakeOpenArgs(args));
                *out = reinterpret_cast<jobber_results*>(impl);
            });
        };
        t.close = [](jobber_results* r) { delete AsResults(r); };
        t.max_identifier_length = [](jobber_results* r) -> uint32_t {
            uint32_t limit = 63;
            ErrorSlot ignored;  // an interface with no error path: fall back to the strictest common limit
            Guard(ignored.get(), [&] { limit = AsResults(r)->MaxIdentifierLength(); });
            return limit;
        };
        t.begin = [](jobber_results* r, const jobber_results_target* target, const ArrowSchema* schema,
                     jobber_results_txn** out, jobber_error* err) {
            return Guard(err, [&] {
                auto txn = std::make_unique<ResultsTxn>();
                txn->schema = ImportSchema(*schema);
                ResultsTarget tgt{target->job_id != nullptr ? target->job_id : "",
                                  target->table_name != nullptr ? target->table_name : "", target->expires_at_unix_ms};
                txn->writer = AsResults(r)->Begin(tgt, txn->schema);
                if (!txn->writer) throw Error(JOBBER_INTERNAL, "results backend returned no writer");
                *out = reinterpret_cast<jobber_results_txn*>(txn.release());
            });
        };
        t.write = [](jobber_results_txn* txn, ArrowArray* batch, jobber_error* err) {
            OwnedArray owned(batch);  // moved in: released on every path
            return Guard(err, [&] {
                BatchView view(*owned, AsTxn(txn)->schema);
                AsTxn(txn)->writer->Write(view);
            });
        };
        t.commit = [](jobber_results_txn* txn, jobber_error* err) {
            return Guard(err, [&] { AsTxn(txn)->writer->Commit(); });
        };
        t.release = [](jobber_results_txn* txn) {
            ErrorSlot ignored;  // destructors roll back; a failing rollback has nowhere to report but the log
            jobber_code code = Guard(ignored.get(), [&] { delete AsTxn(txn); });
            if (code != JOBBER_OK) Log(LogLevel::kError, "results", "rollback failed: " + ignored.message());
        };
        t.drop = [](jobber_results* r, const char* table, jobber_error* err) {
            return Guard(err, [&] { AsResults(r)->Drop(table); });
        };
        t.sweep = [](jobber_results* r, int64_t now, uint64_t* dropped, jobber_error* err) {
            return Guard(err, [&] { *dropped = AsResults(r)->Sweep(now); });
        };
        t.ping = [](jobber_results* r, jobber_error* err) { return Guard(err, [&] { AsResults(r)->Ping(); }); };
        return t;
    }();
    return &table;
}

}  // namespace detail

// Role descriptors for JOBBER_PLUGIN.
template <class T>
struct BrokerRole {
    static constexpr uint32_t kRole = JOBBER_ROLE_BROKER;
    static const std::vector<jobber_config_field>& Fields() { return T::ConfigFields(); }
    static void Fill(jobber_plugin_vtables* out) {
        if (out->struct_size >= offsetof(jobber_plugin_vtables, broker) + sizeof(void*))
            out->broker = detail::BrokerVtable<T>();
    }
};
template <class T>
struct StateRole {
    static constexpr uint32_t kRole = JOBBER_ROLE_STATE;
    static const std::vector<jobber_config_field>& Fields() { return T::ConfigFields(); }
    static void Fill(jobber_plugin_vtables* out) {
        if (out->struct_size >= offsetof(jobber_plugin_vtables, state) + sizeof(void*))
            out->state = detail::StateVtable<T>();
    }
};
template <class T>
struct SourceRole {
    static constexpr uint32_t kRole = JOBBER_ROLE_SOURCE;
    static const std::vector<jobber_config_field>& Fields() { return T::ConfigFields(); }
    static void Fill(jobber_plugin_vtables* out) {
        if (out->struct_size >= offsetof(jobber_plugin_vtables, source) + sizeof(void*))
            out->source = detail::SourceVtable<T>();
    }
};
template <class T>
struct ResultsRole {
    static constexpr uint32_t kRole = JOBBER_ROLE_RESULTS;
    static const std::vector<jobber_config_field>& Fields() { return T::ConfigFields(); }
    static void Fill(jobber_plugin_vtables* out) {
        if (out->struct_size >= offsetof(jobber_plugin_vtables, results) + sizeof(void*))
            out->results = detail::ResultsVtable<T>();
    }
};

#define JOBBER_SDK_STRINGIFY2(x) #x
#define JOBBER_SDK_STRINGIFY(x) JOBBER_SDK_STRINGIFY2(x)

template <class... Roles>
struct PluginDefinition {
    static const jobber_manifest* Manifest(const char* name, const char* version, const char* description) {
        static const std::vector<jobber_role_info> roles = {
            jobber_role_info{Roles::kRole, Roles::Fields().data(), static_cast<uint32_t>(Roles::Fields().size())}...};
        static const jobber_manifest manifest = [&] {
            jobber_manifest m{};
            m.struct_size = sizeof(m);
            m.abi_major = JOBBER_ABI_MAJOR;
            m.abi_minor = JOBBER_ABI_MINOR;
            m.name = name;
            m.version = version;
            m.description = description;
            m.build_info = "compiler " __VERSION__ ", C++ " JOBBER_SDK_STRINGIFY(__cplusplus);
            m.roles = roles.data();
            m.role_count = static_cast<uint32_t>(roles.size());
            return m;
        }();
        return &manifest;
    }

    static jobber_code Init(const jobber_host_api* host,
                            uint32_t /*host_abi_minor*/,
                            jobber_plugin_vtables* out,
                            jobber_error* error) {
        return Guard(error, [&] {
            if (out == nullptr || out->struct_size < sizeof(uint32_t)) {
                throw Error(JOBBER_INVALID_ARGUMENT, "init called without a vtable table");
            }
            detail::HostApiSlot().store(host);
            (Roles::Fill(out), ...);
        });
    }

    static void Shutdown() { detail::HostApiSlot().store(nullptr); }
};

}  // namespace jobber::sdk

// Defines the plugin's three exported entry points. The namespace keeps them clear of the plugin's
// own global names; extern "C" keeps the exported symbol names unqualified.
#define JOBBER_PLUGIN(NAME, VERSION, DESCRIPTION, ...)                                             \
    namespace jobber_plugin_entry_points {                                                         \
    extern "C" JOBBER_EXPORT const ::jobber_manifest* jobber_plugin_manifest(void) {               \
        return ::jobber::sdk::PluginDefinition<__VA_ARGS__>::Manifest(NAME, VERSION, DESCRIPTION); \
    }                                                                                              \
    extern "C" JOBBER_EXPORT jobber_code jobber_plugin_init(const jobber_host_api* host,           \
                                                            uint32_t host_minor,                   \
                                                            jobber_plugin_vtables* out,            \
                                                            jobber_error* error) {                 \
        return ::jobber::sdk::PluginDefinition<__VA_ARGS__>::Init(host, host_minor, out, error);   \
    }                                                                                              \
    extern "C" JOBBER_EXPORT void jobber_plugin_shutdown(void) {                                   \
        ::jobber::sdk::PluginDefinition<__VA_ARGS__>::Shutdown();                                  \
    }                                                                                              \
    }
