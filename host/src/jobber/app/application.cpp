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
#include "jobber/metrics/registry.hpp"
#include "jobber/plugin/plugin_catalog.hpp"
#include "jobber/sched/expiry_sweeper.hpp"
#include "jobber/sched/job_runner.hpp"
#include "jobber/sched/job_watchdog.hpp"
#include "jobber/sched/running_jobs.hpp"
#include "jobber/sched/worker_pool.hpp"
#include "jobber/service/catalog_holder.hpp"
#include "jobber/service/job_service.hpp"
#include "jobber/service/task_catalog.hpp"
#include "jobber/tasks/task_loader.hpp"

namespace jobber::app {

namespace {

std::vector<std::string> PluginDirectories(const config::Settings& settings) {
    std::vector<std::string> dirs = settings.plugins.directories;
    dirs.push_back(plugin::DefaultPluginDirectory());
    return dirs;
}

// Blocks the signals we handle in every thread (threads inherit the mask), so the main thread
// alone receives them through sigwait: SIGINT/SIGTERM stop, SIGHUP reloads the task files,
// SIGUSR1 toggles debug logging.
sigset_t BlockHandledSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

// Gauges read at scrape time rather than tracked on every change.
void RegisterSampledMetrics(const std::vector<std::string>& queues,
                            service::Backends& backends,
                            sched::RunningJobs& running,
                            sched::WorkerPool& workers) {
    auto& registry = metrics::Registry::Default();
    auto& depth = registry.Gauge(
        "jobber_queue_depth", "Pending messages in each queue this process serves (counted up to 10000).", {"queue"});
    auto& running_jobs = registry.Gauge("jobber_running_jobs", "Jobs running in this process.", {});
    auto& busy = registry.Gauge("jobber_workers_busy", "Worker threads running a job.", {});
    registry.AddCollector([&, queues] {
        running_jobs.Set({}, static_cast<double>(running.size()));
        busy.Set({}, workers.busy());
        for (const auto& queue : queues) {
            try {
                auto pending = backends.broker->ListPending(queue, 10000);
                if (pending) {
                    depth.Set({queue}, static_cast<double>(pending->size()));
                } else if (auto listed = backends.state->ListQueue(queue, 10000)) {
                    // A broker that cannot browse (AMQP): count the state store's queue index.
                    depth.Set({queue}, static_cast<double>(listed->size()));
                }
            } catch (const std::exception& e) {
                Poco::Logger::get("jobber.metrics")
                    .debug("queue depth unavailable queue=" + queue + " error=\"" + e.what() + "\"");
            }
        }
    });
}

// SIGHUP: re-reads every task directory and re-prepares the tasks. Any problem keeps the old set
// (running and queued jobs are unaffected either way) and is logged with its file and line.
void ReloadTasks(const CliOptions& options, service::Backends& backends, service::CatalogHolder& catalog) {
    Poco::Logger& log = Poco::Logger::get("jobber.app");
    try {
        const auto parsed = tasks::LoadTaskDirectories(options.sql_directories);
        for (const auto& warning : parsed.warnings) {
            log.warning(warning.file + ":" + std::to_string(warning.line) + ": " + warning.message);
        }
        catalog.Set(service::TaskCatalog::Build(parsed.tasks, backends));
        log.information("tasks reloaded count=" + std::to_string(catalog.Get()->tasks().size()));
    } catch (const std::exception& e) {
        log.error(std::string("task reload failed; keeping the previous tasks: ") + e.what());
    }
}

}  // namespace

int RunServer(const CliOptions& options) {
    const sigset_t signals = BlockHandledSignals();
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
    DefaultBrokerPrefetch(settings, plugin_catalog, options.worker_concurrency);
    service::Backends backends = OpenBackends(settings, plugin_catalog);

    const auto parsed = tasks::LoadTaskDirectories(options.sql_directories);
    for (const auto& warning : parsed.warnings) {
        log.warning(warning.file + ":" + std::to_string(warning.line) + ": " + warning.message);
    }
    service::CatalogHolder catalog(service::TaskCatalog::Build(parsed.tasks, backends));
    auto catalog_getter = [&catalog] { return catalog.Get(); };
    log.information("tasks loaded count=" + std::to_string(catalog.Get()->tasks().size()));

    sched::RunningJobs running;
    service::ServiceSettings service_settings;
    service_settings.default_queue = options.queues.front();
    service_settings.default_job_ttl = settings.app.default_job_ttl;
    service::JobService job_service(backends, catalog_getter, running, service_settings);

    sched::RunnerSettings runner_settings;
    runner_settings.worker_name = options.worker_name;
    runner_settings.lease = settings.app.job_lease;
    sched::DbAdmission admission;
    for (const auto& [name, db] : settings.db) admission.SetLimit(name, db.max_concurrency);
    sched::JobRunner runner(backends, catalog_getter, running, admission, runner_settings);
    sched::WorkerPool workers(
        *backends.broker, runner,
        {options.queues, options.worker_concurrency, std::chrono::milliseconds(1000), settings.app.job_lease});
    sched::JobWatchdog watchdog(*backends.broker, *backends.state, running, settings.app.job_lease);
    sched::ExpirySweeper sweeper(backends, settings.app.expiry_sweep_interval);

    RegisterSampledMetrics(options.queues, backends, running, workers);

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
    bool debug_toggled = false;
    while (true) {
        sigwait(&signals, &signal_number);
        if (signal_number == SIGHUP) {
            ReloadTasks(options, backends, catalog);
            continue;
        }
        if (signal_number == SIGUSR1) {
            debug_toggled = !debug_toggled;
            const std::string level = debug_toggled ? "debug" : settings.app.log_level;
            log::ConfigureLogging(level, settings.app.log_format);
            log.information("log level changed by SIGUSR1 level=" + level);
            continue;
        }
        break;
    }
    log.information(std::string("shutting down signal=") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
                    " grace_ms=" + std::to_string(settings.server.shutdown_grace.count()));

    if (server) server->Stop();
    metrics::Registry::Default().ClearCollectors();
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
