// The goyesql task-file parser must turn any bytes into tasks or a TaskFileError, nothing else.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "jobber/tasks/goyesql_parser.hpp"
#include "jobber/tasks/task_file_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        jobber::tasks::ParseGoyesql(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.sql");
    } catch (const jobber::tasks::TaskFileError&) {
        // The expected outcome for malformed input.
    }
    return 0;
}
