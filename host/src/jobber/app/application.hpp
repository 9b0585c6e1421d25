#pragma once

#include "jobber/app/cli.hpp"

namespace jobber::app {

// Runs the server as the CLI asks until SIGINT/SIGTERM; returns the process exit code. Start-up
// problems (config, plugins, task files) are printed as one line and exit 1.
int RunServer(const CliOptions& options);

// Entry point behind main(): parses flags and dispatches to the server or a subcommand.
int Main(int argc, const char* const* argv);

}  // namespace jobber::app
