#include "jobber/app/plugins_command.hpp"

#include "jobber/plugin/plugin_catalog.hpp"
#include "jobber/plugin/plugin_error.hpp"

namespace jobber::app {

namespace {

void PrintManifest(const plugin::Manifest& m, std::ostream& out) {
    out << m.name << " " << m.version << "  (ABI " << m.abi_major << "." << m.abi_minor << ", roles: " << m.RoleNames()
        << ")\n";
    out << "  path: " << m.path << "\n";
    if (!m.description.empty()) out << "  " << m.description << "\n";
    if (!m.build_info.empty()) out << "  built with: " << m.build_info << "\n";
    for (const auto& role : m.roles) {
        out << "  " << plugin::RoleName(role.role) << " config keys:" << (role.fields.empty() ? " (none)" : "") << "\n";
        for (const auto& f : role.fields) {
            out << "    " << f.name << " (" << plugin::FieldTypeName(f.type) << (f.required ? ", required" : "")
                << (f.has_default ? ", default " + f.default_value : "") << ")" << (f.doc.empty() ? "" : ": " + f.doc)
                << "\n";
        }
    }
}

}  // namespace

int ListPlugins(const std::vector<std::string>& directories, std::ostream& out) {
    auto catalog = plugin::PluginCatalog::Scan(directories);
    out << "plugin directories:";
    for (const auto& d : directories) out << " " << d;
    out << "\n\n";
    for (const auto& [name, library] : catalog.plugins()) {
        PrintManifest(library->manifest(), out);
        out << "\n";
    }
    for (const auto& problem : catalog.problems()) out << "not loadable: " << problem.message << "\n";
    return catalog.problems().empty() ? 0 : 1;
}

int PluginInfo(const std::string& path, std::ostream& out) {
    try {
        PrintManifest(plugin::PluginLibrary::Inspect(path), out);
        return 0;
    } catch (const plugin::PluginLoadError& e) {
        out << e.what() << "\n";
        return 1;
    }
}

}  // namespace jobber::app
