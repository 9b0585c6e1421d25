// The exported entry points of libjobber_sqlite.so; everything else is in the other files.
#include "jobber/sdk/plugin.hpp"

#include "sqlite_results.hpp"
#include "sqlite_source.hpp"

JOBBER_PLUGIN("sqlite",
              "1.0.0",
              "SQLite source (read-only connection pool) and results backend (one table per job)",
              jobber::sdk::SourceRole<jobber::sqlite::SqliteSource>,
              jobber::sdk::ResultsRole<jobber::sqlite::SqliteResults>)
