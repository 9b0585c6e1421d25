// Helpers shared by the postgres plugin tests: the test server, a schema per test, a plain libpq
// connection for set-up and checks, and batch readers.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/roles.hpp"
#include "jobber/sdk/time.hpp"
#include "jobber/testing/role_test_support.hpp"

namespace jobber::postgres::testing {

inline constexpr const char* kUriVariable = "JOBBER_TEST_POSTGRES_URI";

// The test server's URI, or empty when tests/services/postgres.sh did not run.
inline std::string ServerUri() {
    const char* uri = std::getenv(kUriVariable);
    return uri != nullptr ? uri : "";
}

#define JOBBER_REQUIRE_POSTGRES()                                                                  \
    do {                                                                                           \
        if (::jobber::postgres::testing::ServerUri().empty()) {                                    \
            GTEST_SKIP() << "JOBBER_TEST_POSTGRES_URI is not set; start a server with "            \
                            "'source tests/services/lib.sh && source tests/services/postgres.sh'"; \
        }                                                                                          \
    } while (0)

// `uri` with libpq's `options` set so that every session works in `schema`.
inline std::string WithSearchPath(const std::string& uri, const std::string& schema) {
    return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "options=-c%20search_path%3D" + schema;
}

// A plain connection for setting up and checking databases outside the plugin.
class Psql {
public:
    explicit Psql(const std::string& dsn) : conn_(PQconnectdb(dsn.c_str())) {
        if (PQstatus(conn_) != CONNECTION_OK) {
            const std::string message = PQerrorMessage(conn_);
            PQfinish(conn_);
            throw std::runtime_error("cannot connect to " + dsn + ": " + message);
        }
        PQclear(PQexec(conn_, "SET client_min_messages = warning; SET TimeZone = 'UTC'; SET DateStyle = 'ISO'"));
    }
    Psql(const Psql&) = delete;
    Psql& operator=(const Psql&) = delete;
    ~Psql() { PQfinish(conn_); }

    void Exec(const std::string& sql) {
        PGresult* result = PQexec(conn_, sql.c_str());
        const ExecStatusType status = PQresultStatus(result);
        const std::string message = PQresultErrorMessage(result);
        PQclear(result);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            throw std::runtime_error(message + " in: " + sql);
        }
    }

    // Every row as text ("NULL" for NULL), columns joined with '|'.
    std::vector<std::string> Rows(const std::string& sql) {
        PGresult* result = PQexec(conn_, sql.c_str());
        if (PQresultStatus(result) != PGRES_TUPLES_OK) {
            const std::string message = PQresultErrorMessage(result);
            PQclear(result);
            throw std::runtime_error(message + " in: " + sql);
        }
        std::vector<std::string> rows;
        for (int r = 0; r < PQntuples(result); ++r) {
            std::string row;
            for (int c = 0; c < PQnfields(result); ++c) {
                if (c > 0) row += "|";
                row += PQgetisnull(result, r, c) ? "NULL" : PQgetvalue(result, r, c);
            }
            rows.push_back(row);
        }
        PQclear(result);
        return rows;
    }

    std::string One(const std::string& sql) {
        auto rows = Rows(sql);
        return rows.empty() ? std::string("<no rows>") : rows.front();
    }

private:
    PGconn* conn_;
};

// A fresh schema on the test server, dropped with everything in it. Tests (and ctest's parallel
// test processes) never see each other's tables.
class TestSchema {
public:
    TestSchema() {
        static std::atomic<int> counter{0};
        std::mt19937 random(std::random_device{}());
        name_ =
            "t_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" + std::to_string(random() % 100000);
        Psql(ServerUri()).Exec("CREATE SCHEMA " + name_);
        dsn_ = WithSearchPath(ServerUri(), name_);
    }
    TestSchema(const TestSchema&) = delete;
    TestSchema& operator=(const TestSchema&) = delete;
    ~TestSchema() {
        try {
            Psql(ServerUri()).Exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
        } catch (const std::exception& e) {
            // A leftover schema must not fail a test; the server is thrown away after the run.
            std::fprintf(stderr, "cannot drop test schema %s: %s\n", name_.c_str(), e.what());
        }
    }
    const std::string& name() const { return name_; }
    // A DSN whose sessions work in this schema.
    const std::string& dsn() const { return dsn_; }

private:
    std::string name_;
    std::string dsn_;
};

// Open arguments, query values, queries and stream reading come from the SDK's testing helpers.
using jobber::testing::BoolValue;
using jobber::testing::IntValue;
using jobber::testing::MakeQuery;
using jobber::testing::NullValue;
using jobber::testing::TextValue;

inline sdk::OpenArgs Args(const std::vector<std::pair<std::string, std::string>>& config) {
    return jobber::testing::MakeOpenArgs(config);
}

// Every batch of a stream, in order.
inline std::vector<sdk::OwnedArray> Drain(sdk::RowStream& stream) {
    return jobber::testing::DrainStream(stream);
}

// One cell as text, for compact assertions: "NULL", numbers (DOUBLE as its shortest exact text),
// "true"/"false", dates and timestamps as sdk/time.hpp formats them.
inline std::string Cell(const sdk::BatchView& view, size_t column, int64_t row) {
    return jobber::testing::CellText(view, column, row);
}

// Every row of every batch, cells joined with '|'.
inline std::vector<std::string> Rows(const std::vector<sdk::OwnedArray>& batches, const sdk::Schema& schema) {
    return jobber::testing::BatchRowsText(batches, schema);
}

// Polls `condition` every 10 ms until it holds or `timeout` passes; returns its last value.
template <class Condition>
bool WaitUntil(Condition condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
}

}  // namespace jobber::postgres::testing
