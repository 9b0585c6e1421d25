#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jobber/abi/common.h"

namespace jobber::plugin {

struct ConfigFieldInfo {
    std::string name;
    int32_t type = JOBBER_FIELD_STRING;
    bool required = false;
    bool has_default = false;
    std::string default_value;
    std::string doc;
};

struct RoleInfo {
    uint32_t role = 0;
    std::vector<ConfigFieldInfo> fields;
    // The same fields as the C table the config validator takes.
    std::vector<jobber_config_field> CFields() const;
};

// A host-owned copy of a plugin's manifest, safe to keep after the plugin is refused.
struct Manifest {
    std::string path;
    uint32_t abi_major = 0;
    uint32_t abi_minor = 0;
    std::string name;
    std::string version;
    std::string description;
    std::string build_info;
    std::vector<RoleInfo> roles;

    const RoleInfo* FindRole(uint32_t role) const;
    std::string RoleNames() const;
};

const char* RoleName(uint32_t role);
const char* FieldTypeName(int32_t type);

}  // namespace jobber::plugin
