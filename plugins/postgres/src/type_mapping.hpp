// PostgreSQL type OIDs to jobber column types (source) and jobber column types to PostgreSQL
// column types (results backend).
#pragma once

#include <libpq-fe.h>

#include "jobber/sdk/columns.hpp"

namespace jobber::postgres {

// Built-in type OIDs (pg_type.dat); fixed since PostgreSQL 7.x.
inline constexpr Oid kBoolOid = 16;
inline constexpr Oid kInt8Oid = 20;
inline constexpr Oid kInt2Oid = 21;
inline constexpr Oid kInt4Oid = 23;
inline constexpr Oid kFloat4Oid = 700;
inline constexpr Oid kFloat8Oid = 701;
inline constexpr Oid kDateOid = 1082;
inline constexpr Oid kTimestampOid = 1114;
inline constexpr Oid kTimestampTzOid = 1184;
inline constexpr Oid kNumericOid = 1700;

// int2/4/8 BIGINT, numeric DECIMAL, float4/8 DOUBLE, timestamp/timestamptz TIMESTAMP, date DATE,
// bool BOOLEAN, anything else (text, varchar, uuid, json, arrays, domains, ...) TEXT.
sdk::ColumnType ColumnTypeFromOid(Oid type);

// The column type a results table gets: bigint, numeric, double precision, timestamp (UTC, without
// time zone), date, boolean, text. Each maps back to its own column type through the source.
const char* ResultsColumnType(sdk::ColumnType type);

}  // namespace jobber::postgres
