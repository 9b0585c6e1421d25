#include "jobber/plugin/manifest.hpp"

namespace jobber::plugin {

std::vector<jobber_config_field> RoleInfo::CFields() const {
    std::vector<jobber_config_field> out;
    out.reserve(fields.size());
    for (const auto& f : fields) {
        out.push_back(jobber_config_field{f.name.c_str(), f.type, f.required ? 1 : 0,
                                          f.has_default ? f.default_value.c_str() : nullptr, f.doc.c_str()});
    }
    return out;
}

const RoleInfo* Manifest::FindRole(uint32_t role) const {
    for (const auto& r : roles) {
        if (r.role == role) return &r;
    }
    return nullptr;
}

std::string Manifest::RoleNames() const {
    std::string out;
    for (const auto& r : roles) {
        if (!out.empty()) out += ",";
        out += RoleName(r.role);
    }
    return out;
}

const char* RoleName(uint32_t role) {
    switch (role) {
        case JOBBER_ROLE_BROKER:
            return "broker";
        case JOBBER_ROLE_STATE:
            return "state";
        case JOBBER_ROLE_SOURCE:
            return "source";
        case JOBBER_ROLE_RESULTS:
            return "results";
        default:
            return "unknown";
    }
}

const char* FieldTypeName(int32_t type) {
    switch (type) {
        case JOBBER_FIELD_STRING:
            return "string";
        case JOBBER_FIELD_INT:
            return "int";
        case JOBBER_FIELD_BOOL:
            return "bool";
        case JOBBER_FIELD_DURATION:
            return "duration";
        case JOBBER_FIELD_SECRET:
            return "secret";
        default:
            return "unknown";
    }
}

}  // namespace jobber::plugin
