#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jobber/plugin/plugin_library.hpp"

namespace jobber::plugin {

// The plugins found in the plugin directories, by type name. A file that fails to load is kept
// as a problem report (shown by `sql-jobber plugins`) rather than stopping the scan; it only
// becomes fatal when the config asks for that type.
class PluginCatalog {
public:
    struct Problem {
        std::string path;
        std::string message;
    };

    // Scans `directories` in order for libjobber_*.so; the first plugin of a name wins.
    static PluginCatalog Scan(const std::vector<std::string>& directories);

    // The plugin of `type` providing `role`; throws PluginLoadError listing what is available.
    std::shared_ptr<PluginLibrary> Require(const std::string& type, uint32_t role, const std::string& section) const;

    const std::map<std::string, std::shared_ptr<PluginLibrary>>& plugins() const { return plugins_; }
    const std::vector<Problem>& problems() const { return problems_; }
    const std::vector<std::string>& directories() const { return directories_; }

    // Shuts every plugin down (after all instances are closed).
    void ShutdownAll();

private:
    std::vector<std::string> directories_;
    std::map<std::string, std::shared_ptr<PluginLibrary>> plugins_;
    std::vector<Problem> problems_;
};

// The built-in plugin directory: <dir of the executable>/../lib/sql-jobber/plugins, which is
// right both in the build tree and once installed.
std::string DefaultPluginDirectory();

}  // namespace jobber::plugin
