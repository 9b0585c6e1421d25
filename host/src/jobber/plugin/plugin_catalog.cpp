#include "jobber/plugin/plugin_catalog.hpp"

#include <Poco/Logger.h>

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <filesystem>

#include "jobber/plugin/plugin_error.hpp"

namespace jobber::plugin {

namespace fs = std::filesystem;

std::string DefaultPluginDirectory() {
    std::error_code ec;
    const fs::path exe = boost::dll::program_location(ec);
    if (ec) return JOBBER_PLUGIN_RELATIVE_DIR;
    return (exe.parent_path() / JOBBER_PLUGIN_RELATIVE_DIR).lexically_normal().string();
}

PluginCatalog PluginCatalog::Scan(const std::vector<std::string>& directories) {
    PluginCatalog catalog;
    catalog.directories_ = directories;
    Poco::Logger& log = Poco::Logger::get("jobber.plugin");
    for (const auto& dir : directories) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) {
            log.debug("plugin directory " + dir + " does not exist; skipped");
            continue;
        }
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            const std::string name = entry.path().filename().string();
            if (name.rfind("libjobber_", 0) == 0 && entry.path().extension() == ".so") files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            try {
                auto library = PluginLibrary::Load(file.string());
                if (catalog.plugins_.count(library->name()) != 0) {
                    log.warning("plugin " + library->name() + " at " + file.string() + " is shadowed by " +
                                catalog.plugins_[library->name()]->manifest().path);
                    continue;
                }
                catalog.plugins_[library->name()] = std::move(library);
            } catch (const PluginLoadError& e) {
                log.warning(e.what());
                catalog.problems_.push_back({file.string(), e.what()});
            }
        }
    }
    return catalog;
}

std::shared_ptr<PluginLibrary> PluginCatalog::Require(const std::string& type,
                                                      uint32_t role,
                                                      const std::string& section) const {
    auto it = plugins_.find(type);
    if (it == plugins_.end() || it->second->manifest().FindRole(role) == nullptr) {
        std::string available;
        for (const auto& [name, library] : plugins_) {
            if (library->manifest().FindRole(role) == nullptr) continue;
            if (!available.empty()) available += ", ";
            available += name;
        }
        std::string message = section + ": unknown " + RoleName(role) + " plugin type '" + type + "'";
        message += available.empty() ? "; no " + std::string(RoleName(role)) + " plugins were found"
                                     : " (available: " + available + ")";
        std::string searched;
        for (const auto& d : directories_) searched += (searched.empty() ? "" : ", ") + d;
        message += "; searched " + searched;
        for (const auto& problem : problems_) {
            if (problem.path.find("libjobber_" + type + ".so") != std::string::npos) message += "; " + problem.message;
        }
        throw PluginLoadError(message);
    }
    return it->second;
}

void PluginCatalog::ShutdownAll() {
    for (auto& [name, library] : plugins_) library->Shutdown();
}

}  // namespace jobber::plugin
