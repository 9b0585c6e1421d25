// Helpers for a plugin's own tests of its C++ role classes (the sdk::Source, sdk::ResultsBackend,
// ... it builds on jobber/sdk/roles.hpp), below the C ABI: open arguments from a plain config list,
// query arguments and queries, and Arrow batches read back as text for compact assertions.
//
//   auto source = MySource::Open(jobber::testing::MakeOpenArgs({{"dsn", dsn}}));
//   const jobber_value args[] = {jobber::testing::IntValue(7)};
//   auto stream = source->Execute(jobber::testing::MakeQuery("task", sql));
//   EXPECT_EQ(jobber::testing::BatchRowsText(jobber::testing::DrainStream(*stream), stream->schema()),
//             (std::vector<std::string>{"1|one", "2|NULL"}));
//
// Header-only; needs nothing but the SDK.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jobber/abi/source.h"
#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/columns.hpp"
#include "jobber/sdk/roles.hpp"
#include "jobber/sdk/time.hpp"

namespace jobber::testing {

// Open arguments for instance `instance_name`; the config is copied, so temporaries are fine.
inline sdk::OpenArgs MakeOpenArgs(const std::vector<std::pair<std::string, std::string>>& config,
                                  const std::string& instance_name = "test") {
    std::vector<jobber_kv> kvs;
    for (const auto& [key, value] : config) kvs.push_back({key.c_str(), value.c_str()});
    return sdk::OpenArgs{instance_name, sdk::Config(kvs.data(), static_cast<uint32_t>(kvs.size()))};
}

inline jobber_value NullValue() {
    return jobber_value{JOBBER_VALUE_NULL, 0, 0, 0.0, nullptr, 0};
}
inline jobber_value BoolValue(bool v) {
    return jobber_value{JOBBER_VALUE_BOOL, v ? 1 : 0, 0, 0.0, nullptr, 0};
}
inline jobber_value IntValue(int64_t v) {
    return jobber_value{JOBBER_VALUE_INT64, 0, v, 0.0, nullptr, 0};
}
inline jobber_value DoubleValue(double v) {
    return jobber_value{JOBBER_VALUE_DOUBLE, 0, 0, v, nullptr, 0};
}
// Borrows `text`: it must outlive the query (string literals do).
inline jobber_value TextValue(std::string_view text) {
    return jobber_value{JOBBER_VALUE_TEXT, 0, 0, 0.0, text.data(), text.size()};
}

// The query borrows `task` and `sql`, so they must outlive its use; set params, timeout_ms and
// batch_rows on the result as needed.
inline sdk::Query MakeQuery(std::string_view task, std::string_view sql, uint64_t id = 1) {
    sdk::Query query;
    query.id = id;
    query.task_name = task;
    query.sql = sql;
    return query;
}

// Every batch of a stream, in order, until its end (a stream error propagates as it is thrown).
inline std::vector<sdk::OwnedArray> DrainStream(sdk::RowStream& stream) {
    std::vector<sdk::OwnedArray> batches;
    for (;;) {
        ArrowArray array{};
        if (!stream.Next(&array)) break;
        batches.emplace_back(&array);
    }
    return batches;
}

// How DOUBLE cells are written: 0 for the shortest text that reads back exactly (std::to_chars),
// else this many significant digits, as printf's %.<n>g (and an ostream with that precision) do.
inline std::string DoubleText(double value, int significant_digits = 0) {
    char buffer[64];
    if (significant_digits <= 0) {
        const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
        return std::string(buffer, result.ptr);
    }
    std::snprintf(buffer, sizeof(buffer), "%.*g", significant_digits, value);
    return buffer;
}

// One cell as text: "NULL", integers in decimal, DOUBLE as DoubleText, "true"/"false", dates and
// timestamps as jobber/sdk/time.hpp formats them, DECIMAL and TEXT as they are.
inline std::string CellText(const sdk::BatchView& view, size_t column, int64_t row, int double_digits = 0) {
    if (view.IsNull(column, row)) return "NULL";
    switch (view.schema()[column].type) {
        case sdk::ColumnType::kBigInt:
            return std::to_string(view.Int64(column, row));
        case sdk::ColumnType::kDouble:
            return DoubleText(view.Double(column, row), double_digits);
        case sdk::ColumnType::kBoolean:
            return view.Bool(column, row) ? "true" : "false";
        case sdk::ColumnType::kDate:
            return sdk::FormatDate(view.Date(column, row));
        case sdk::ColumnType::kTimestamp:
            return sdk::FormatTimestamp(view.Int64(column, row));
        case sdk::ColumnType::kDecimal:
        case sdk::ColumnType::kText:
            return std::string(view.Text(column, row));
    }
    return "?";
}

// Every row of every batch, cells (CellText) joined with '|'.
inline std::vector<std::string> BatchRowsText(const std::vector<sdk::OwnedArray>& batches,
                                              const sdk::Schema& schema,
                                              int double_digits = 0) {
    std::vector<std::string> rows;
    for (const auto& batch : batches) {
        sdk::BatchView view(*batch, schema);
        for (int64_t r = 0; r < view.rows(); ++r) {
            std::string line;
            for (size_t c = 0; c < view.columns(); ++c) {
                if (c > 0) line += '|';
                line += CellText(view, c, r, double_digits);
            }
            rows.push_back(std::move(line));
        }
    }
    return rows;
}

}  // namespace jobber::testing
