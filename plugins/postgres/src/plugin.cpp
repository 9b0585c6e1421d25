// The exported entry points of libjobber_postgres.so; everything else is in the other files.
#include "jobber/sdk/plugin.hpp"

#include "pg_results.hpp"
#include "pg_source.hpp"

JOBBER_PLUGIN("postgres",
              "1.0.0",
              "PostgreSQL source (libpq connection pool, streamed rows) and results backend (COPY, one table per job)",
              jobber::sdk::SourceRole<jobber::postgres::PgSource>,
              jobber::sdk::ResultsRole<jobber::postgres::PgResults>)
