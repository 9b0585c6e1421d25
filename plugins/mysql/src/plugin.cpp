// The exported entry points of libjobber_mysql.so; everything else is in the other files.
#include "jobber/sdk/plugin.hpp"

#include "mysql_results.hpp"
#include "mysql_source.hpp"

JOBBER_PLUGIN("mysql",
              "1.0.0",
              "MySQL/MariaDB source (pooled, streaming, KILL QUERY cancel) and results backend (one table per job)",
              jobber::sdk::SourceRole<jobber::mysql::MysqlSource>,
              jobber::sdk::ResultsRole<jobber::mysql::MysqlResults>)
