#include "jobber/log/logging.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/FormattingChannel.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <iostream>
#include <sstream>
#include <stdexcept>

namespace jobber::log {

namespace {

const char* LevelName(Poco::Message::Priority p) {
    switch (p) {
        case Poco::Message::PRIO_FATAL:
        case Poco::Message::PRIO_CRITICAL:
        case Poco::Message::PRIO_ERROR:
            return "error";
        case Poco::Message::PRIO_WARNING:
            return "warning";
        case Poco::Message::PRIO_NOTICE:
        case Poco::Message::PRIO_INFORMATION:
            return "info";
        default:
            return "debug";
    }
}

class LineFormatter : public Poco::Formatter {
public:
    explicit LineFormatter(bool json) : json_(json) {}

    void format(const Poco::Message& msg, std::string& text) override {
        const std::string ts = Poco::DateTimeFormatter::format(msg.getTime(), "%Y-%m-%dT%H:%M:%S.%iZ");
        if (json_) {
            Poco::JSON::Object obj(Poco::JSON_PRESERVE_KEY_ORDER);
            obj.set("ts", ts);
            obj.set("level", LevelName(msg.getPriority()));
            obj.set("logger", msg.getSource());
            obj.set("msg", msg.getText());
            std::ostringstream out;
            obj.stringify(out);
            text = out.str();
        } else {
            text = "ts=" + ts + " level=" + LevelName(msg.getPriority()) + " logger=" + msg.getSource() + " " +
                   msg.getText();
        }
    }

private:
    bool json_;
};

int PriorityFor(const std::string& level) {
    if (level == "error") return Poco::Message::PRIO_ERROR;
    if (level == "warning" || level == "warn") return Poco::Message::PRIO_WARNING;
    if (level == "info") return Poco::Message::PRIO_INFORMATION;
    if (level == "debug") return Poco::Message::PRIO_DEBUG;
    throw std::invalid_argument("unknown log level '" + level + "' (want error, warning, info or debug)");
}

}  // namespace

void ConfigureLogging(const std::string& level, const std::string& format) {
    if (format != "text" && format != "json") {
        throw std::invalid_argument("unknown log format '" + format + "' (want text or json)");
    }
    const int priority = PriorityFor(level);
    Poco::AutoPtr<Poco::FormattingChannel> channel(
        new Poco::FormattingChannel(new LineFormatter(format == "json"), new Poco::ConsoleChannel(std::cerr)));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(priority);
    Poco::Logger::setChannel("", channel);
    Poco::Logger::setLevel("", priority);
}

}  // namespace jobber::log
