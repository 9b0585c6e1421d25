// Source-side fetch strategies over the same query, in one process, one after the other:
//   single-row  the plugin's own path: PgSource::Execute (libpq single-row mode, text values)
//   cursor      BEGIN; DECLARE ... BINARY CURSOR; FETCH <n> in a loop, binary values decoded
// Both build the same Arrow batches (BatchBuilder), so the difference is the fetch and decode.
// Prints rows, seconds and rows/s of each. Usage: jobber_postgres_fetch_bench DSN SQL [FETCH_ROWS]
#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "jobber/sdk/batch.hpp"
#include "pg_source.hpp"
#include "type_mapping.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace jobber;

uint16_t Get16(const char* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return __builtin_bswap16(v);
}
uint32_t Get32(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}
uint64_t Get64(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

// Binary numeric to its exact decimal text.
void NumericText(const char* p, std::string& out) {
    out.clear();
    const int ndigits = static_cast<int16_t>(Get16(p));
    const int weight = static_cast<int16_t>(Get16(p + 2));
    const uint16_t sign = Get16(p + 4);
    const int dscale = static_cast<int16_t>(Get16(p + 6));
    if (sign == 0xC000) {
        out = "NaN";
        return;
    }
    if (sign == 0x4000) out.push_back('-');
    auto digit = [&](int i) { return i >= 0 && i < ndigits ? Get16(p + 8 + 2 * i) : 0; };
    if (weight < 0) out.push_back('0');
    for (int i = 0; i <= weight; ++i) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), i == 0 ? "%u" : "%04u", digit(i));
        out += buf;
    }
    if (dscale > 0) {
        out.push_back('.');
        std::string fraction;
        for (int i = weight + 1; static_cast<int>(fraction.size()) < dscale; ++i) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "%04u", digit(i));
            fraction += buf;
        }
        out.append(fraction, 0, static_cast<size_t>(dscale));
    }
}

int64_t SingleRow(const std::string& dsn, const std::string& sql) {
    const jobber_kv config[] = {{"dsn", dsn.c_str()}};
    postgres::PgSource source(sdk::OpenArgs{"bench", sdk::Config(config, 1)});
    sdk::Query query;
    query.id = 1;
    query.task_name = "bench";
    query.sql = sql;
    auto stream = source.Execute(query);
    int64_t rows = 0;
    for (;;) {
        ArrowArray batch{};
        if (!stream->Next(&batch)) break;
        rows += batch.length;
        batch.release(&batch);
    }
    return rows;
}

int64_t BinaryCursor(const std::string& dsn, const std::string& sql, int fetch_rows) {
    PGconn* conn = PQconnectdb(dsn.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
        std::fprintf(stderr, "connect: %s", PQerrorMessage(conn));
        std::exit(1);
    }
    PQclear(PQexec(conn, "BEGIN"));
    PGresult* declared = PQexec(conn, ("DECLARE c NO SCROLL BINARY CURSOR FOR " + sql).c_str());
    if (PQresultStatus(declared) != PGRES_COMMAND_OK) {
        std::fprintf(stderr, "declare: %s", PQresultErrorMessage(declared));
        std::exit(1);
    }
    PQclear(declared);
    const std::string fetch = "FETCH " + std::to_string(fetch_rows) + " FROM c";
    int64_t rows = 0;
    std::optional<sdk::BatchBuilder> builder;
    std::vector<Oid> oids;
    std::string text;
    for (;;) {
        PGresult* r = PQexec(conn, fetch.c_str());
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            std::fprintf(stderr, "fetch: %s", PQresultErrorMessage(r));
            std::exit(1);
        }
        if (!builder) {
            sdk::Schema schema;
            for (int c = 0; c < PQnfields(r); ++c) {
                oids.push_back(PQftype(r, c));
                schema.push_back({PQfname(r, c), postgres::ColumnTypeFromOid(PQftype(r, c))});
            }
            builder.emplace(schema);
        }
        const int n = PQntuples(r);
        for (int row = 0; row < n; ++row) {
            for (int c = 0; c < static_cast<int>(oids.size()); ++c) {
                const auto col = static_cast<size_t>(c);
                if (PQgetisnull(r, row, c)) {
                    builder->AppendNull(col);
                    continue;
                }
                const char* v = PQgetvalue(r, row, c);
                switch (oids[col]) {
                    case postgres::kInt8Oid:
                        builder->AppendInt64(col, static_cast<int64_t>(Get64(v)));
                        break;
                    case postgres::kInt4Oid:
                        builder->AppendInt64(col, static_cast<int32_t>(Get32(v)));
                        break;
                    case postgres::kFloat8Oid: {
                        const uint64_t bits = Get64(v);
                        double d;
                        std::memcpy(&d, &bits, 8);
                        builder->AppendDouble(col, d);
                        break;
                    }
                    case postgres::kBoolOid:
                        builder->AppendBool(col, v[0] != 0);
                        break;
                    case postgres::kDateOid:
                        builder->AppendDate(col, static_cast<int32_t>(Get32(v)) + 10957);
                        break;
                    case postgres::kTimestampOid:
                        builder->AppendInt64(col, static_cast<int64_t>(Get64(v)) + 946684800000000LL);
                        break;
                    case postgres::kNumericOid:
                        NumericText(v, text);
                        builder->AppendText(col, text);
                        break;
                    default:  // text, varchar: the binary form is the text
                        builder->AppendText(col, std::string_view(v, static_cast<size_t>(PQgetlength(r, row, c))));
                }
            }
        }
        rows += n;
        PQclear(r);
        if (n > 0) {
            ArrowArray batch{};
            builder->Finish(&batch);
            batch.release(&batch);
        }
        if (n < fetch_rows) break;
    }
    PQclear(PQexec(conn, "COMMIT"));
    PQfinish(conn);
    return rows;
}

template <class Body>
void Measure(const char* name, Body body) {
    const auto start = Clock::now();
    const int64_t rows = body();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%-12s rows=%lld seconds=%.3f rows_per_second=%.0f\n", name, static_cast<long long>(rows), seconds,
                rows / seconds);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s DSN SQL [FETCH_ROWS]\n", argv[0]);
        return 2;
    }
    const std::string dsn = argv[1];
    const std::string sql = argv[2];
    const int fetch_rows = argc > 3 ? std::atoi(argv[3]) : 10000;
    for (int round = 0; round < 2; ++round) {  // the first round also warms the server's cache
        Measure("single-row", [&] { return SingleRow(dsn, sql); });
        Measure("cursor", [&] { return BinaryCursor(dsn, sql, fetch_rows); });
    }
    return 0;
}
