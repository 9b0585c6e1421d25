#include "jobber/app/application.hpp"

#include <Poco/Logger.h>
#include <pthread.h>

#include <csignal>
#include <iostream>

#include "jobber/app/backend_factory.hpp"
#include "jobber/app/plugins_command.hpp"
#include "jobber/app/version.hpp"
#include "jobber/config/config_error.hpp"
#include "jobber/config/config_loader.hpp"
#include "jobber/config/listen_address.hpp"
#include "jobber/http/api_routes.hpp"
#include "jobber/http/http_server.hpp"
#include "jobber/log/logging.hpp"
#include "jobber/plugin/plugin_catalog.hpp"
#include "jobber/sched/expiry_sweeper.hpp"
#include "jobber/sched/job_runner.hpp"
#include "jobber/sched/job_watchdog.hpp"
#include "jobber/sched/running_jobs.hpp"
#include "jobber/sched/worker_pool.hpp"
#include "jobber/service/job_service.hpp"
#include "jobber/service/task_catalog.hpp"
#include "jobber/tasks/task_loader.hpp"

namespace jobber::app {

namespace {

constexpr auto kLease = std::chrono::seconds(60);

std::vector<std::string> PluginDirectories(const config::Settings& settings) {
    std::vector<std::string> dirs = settings.plugins.directories;
    dirs.push_back(plugin::DefaultPluginDirectory());
    return dirs;
}

// Blocks the termination signals in every thread (threads inherit the mask), so the main thread
// alone receives them through sigwait.
sigset_t BlockTerminationSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

}  // namespace

int RunServer(const CliOptions& options) {
    const sigset_t signals = BlockTerminationSignals();
    Poco::Logger& log = Poco::Logger::get("jobber.app");

    config::Settings settings = config::LoadSettingsFile(options.config_path);
    if (!options.server.empty()) {
        try {
            config::ParseListenAddress(options.server);
        } catch (const std::invalid_argument& e) {
            throw CliError(std::string("--server: ") + e.what());
        }
        settings.server.address = options.server;
    }
    log::ConfigureLogging(settings.app.log_level, settings.app.log_format);
    log.information("starting " + VersionString() + " config=" + options.config_path +
                    " worker=" + options.worker_name);

    auto plugin_catalog = plugin::PluginCatalog::Scan(PluginDirectories(settings));
    service::Backends backends = OpenBackends(settings, plugin_catalog);

    const auto parsed = tasks::LoadTaskDirectories(options.sql_directories);
    for (const auto& warning : parsed.warnings) {
        log.warning(warning.file + ":" + std::to_string(warning.line) + ": " + warning.message);
    }
    std::shared_ptr<const service::TaskCatalog> catalog = service::TaskCatalog::Build(parsed.tasks, backends);
    auto catalog_getter = [catalog] { return catalog; };
    log.information("tasks loaded count=" + std::to_string(catalog->tasks().size()));

    sched::RunningJobs running;
    service::ServiceSettings service_settings;
    service_settings.default_queue = options.queues.front();
    service_settings.default_job_ttl = settings.app.default_job_ttl;
    service::JobService job_service(backends, catalog_getter, running, service_settings);

    sched::RunnerSettings runner_settings;
    runner_settings.worker_name = options.worker_name;
    runner_settings.lease = kLease;
    sched::JobRunner runner(backends, catalog_getter, running, runner_settings);
    sched::WorkerPool workers(*backends.broker, runner, {options.queues, options.worker_concurrency});
    sched::JobWatchdog watchdog(*backends.broker, *backends.state, running, kLease);
    sched::ExpirySweeper sweeper(backends, settings.app.expiry_sweep_interval);

    std::unique_ptr<http::HttpServer> server;
    if (!options.worker_only) {
        http::HandlerSettings handler_settings{settings.server.auth_token, settings.server.max_body_bytes};
        http::HttpServerSettings server_settings;
        server_settings.address = settings.server.address;
        server =
            std::make_unique<http::HttpServer>(http::BuildApiRouter(job_service), handler_settings, server_settings);
    }

    watchdog.Start();
    sweeper.Start();
    workers.Start();
    if (server) server->Start();
    log.information("ready http=" + (server ? settings.server.address : std::string("off")));

    int signal_number = 0;
    sigwait(&signals, &signal_number);
    log.information(std::string("shutting down signal=") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
                    " grace_ms=" + std::to_string(settings.server.shutdown_grace.count()));

    if (server) server->Stop();
    if (!workers.StopAccepting(settings.server.shutdown_grace)) {
        log.warning("grace period over; handing running jobs back to the broker count=" +
                    std::to_string(running.size()));
        running.StopAll(sched::StopReason::kShutdown);
    }
    workers.Join();
    watchdog.Stop();
    sweeper.Stop();
    server.reset();
    backends = service::Backends{};
    plugin_catalog.ShutdownAll();
    log.information("stopped");
    return 0;
}

int Main(int argc, const char* const* argv) {
    CliOptions options;
    try {
        options = ParseCli(argc, argv);
    } catch (const CliError& e) {
        std::cerr << "sql-jobber: " << e.what() << "\n";
        return 2;
    }
    if (options.show_help) {
        std::cout << CliUsage();
        return 0;
    }
    if (options.show_version) {
        std::cout << VersionString() << "\n";
        return 0;
    }
    try {
        if (options.command == "plugins" || options.command == "plugin-info") {
            log::ConfigureLogging("error", "text");
            if (options.command == "plugin-info") return PluginInfo(options.command_args.at(0), std::cout);
            std::vector<std::string> dirs;
            if (options.config_given) dirs = config::LoadSettingsFile(options.config_path).plugins.directories;
            dirs.push_back(plugin::DefaultPluginDirectory());
            return ListPlugins(dirs, std::cout);
        }
        return RunServer(options);
    } catch (const std::exception& e) {
        std::cerr << "sql-jobber: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace jobber::app
