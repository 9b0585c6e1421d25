#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jobber/abi/common.h"
#include "jobber/metrics/job_metrics.hpp"
#include "jobber/plugin/plugin_error.hpp"
#include "jobber/plugin/plugin_library.hpp"
#include "jobber/sdk/error.hpp"

namespace jobber::plugin {

using OptionList = std::vector<std::pair<std::string, std::string>>;

// What every role client shares: the library it came from, a label for messages
// ("db 'main' (postgres)") and the canonical config it was opened with.
class InstanceContext {
public:
    InstanceContext(std::shared_ptr<PluginLibrary> library,
                    std::string role_section,
                    std::string instance_name,
                    OptionList options)
        : library_(std::move(library)),
          instance_name_(std::move(instance_name)),
          label_(role_section + " '" + instance_name_ + "' (" + library_->name() + ")"),
          options_(std::move(options)) {
        for (const auto& [key, value] : options_) kvs_.push_back(jobber_kv{key.c_str(), value.c_str()});
        args_.struct_size = sizeof(args_);
        args_.instance_name = instance_name_.c_str();
        args_.config = kvs_.data();
        args_.config_count = static_cast<uint32_t>(kvs_.size());
    }

    const std::string& label() const { return label_; }
    const std::string& instance_name() const { return instance_name_; }
    const PluginLibrary& library() const { return *library_; }
    const jobber_open_args* open_args() const { return &args_; }

    // Throws a PluginError carrying the plugin's code and message, prefixed with our label.
    [[noreturn]] void Fail(const char* operation, jobber_code code, const jobber::sdk::ErrorSlot& error) const {
        metrics::PluginError(library_->name(), instance_name_, operation, jobber::sdk::CodeName(code));
        throw jobber::sdk::Error(code, label_ + ": " + operation + " failed: " + error.message(), error.vendor_code(),
                                 error.sqlstate());
    }

    void Check(const char* operation, jobber_code code, const jobber::sdk::ErrorSlot& error) const {
        if (code != JOBBER_OK) Fail(operation, code, error);
    }

    // A NULL function pointer means the plugin does not implement an optional call.
    template <class Fn>
    void RequireFunction(Fn fn, const char* operation) const {
        if (fn == nullptr) throw jobber::sdk::Error(JOBBER_UNIMPLEMENTED, label_ + " does not implement " + operation);
    }

private:
    std::shared_ptr<PluginLibrary> library_;
    std::string instance_name_;
    std::string label_;
    OptionList options_;
    std::vector<jobber_kv> kvs_;
    jobber_open_args args_{};
};

}  // namespace jobber::plugin
