// The plugin's three exported entry points; everything else lives in the static core library.
// [csv-plugin]
#include "jobber/sdk/plugin.hpp"

#include "csv_results.hpp"

JOBBER_PLUGIN("csv",
              "1.0.0",
              "Results backend writing each job's rows as a CSV file",
              jobber::sdk::ResultsRole<jobber_csv::CsvResults>)
// [csv-plugin]
