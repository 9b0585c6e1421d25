// PluginCatalog::Scan / Require over the fixture directory: bad files become problem reports, good
// ones load, and Require explains what is missing.
#include "jobber/plugin/plugin_catalog.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "jobber/plugin/plugin_error.hpp"
#include "loading_test_support.hpp"

namespace jobber::plugin {
namespace {

using testing::Contains;
using testing::ExpectThrowWith;
using testing::FixtureDir;
using testing::FixturePath;
using testing::RealPluginDir;
using testing::TempDir;

// The fixtures that must be refused, with a phrase from each refusal.
const std::map<std::string, std::string> kBadFixtures = {
    {"newer_minor", "needs plugin ABI 1.99"},     {"no_init", "'jobber_plugin_init'"},
    {"not_a_plugin", "'jobber_plugin_manifest'"}, {"role_mismatch", "does not provide its vtable"},
    {"wrong_abi", "built for plugin ABI 99.0"},
};

std::vector<std::string> PluginNames(const PluginCatalog& catalog) {
    std::vector<std::string> names;
    for (const auto& [name, library] : catalog.plugins()) names.push_back(name);
    return names;
}

TEST(PluginCatalogTest, ScanKeepsGoingPastBadFilesAndLoadsTheGoodOnes) {
    TempDir extra;
    const std::string garbage = extra.Write("libjobber_garbage.so",
                                            "\x7f"
                                            "ELF but not really");
    extra.Write("libjobber_notes.txt", "ignored: not a .so");
    extra.Write("libother.so", "ignored: not libjobber_*");
    const PluginCatalog catalog = PluginCatalog::Scan({FixtureDir(), extra.path()});

    EXPECT_EQ(catalog.directories(), (std::vector<std::string>{FixtureDir(), extra.path()}));
    EXPECT_EQ(PluginNames(catalog),
              (std::vector<std::string>{"abi_1_0_source", "throwing", "unbrowsable", "unbrowsable_state_1_0"}));
    EXPECT_EQ(catalog.plugins().at("throwing")->manifest().path, FixturePath("throwing"));

    // One problem per bad file, each naming its file; the fixture directory is scanned in name order.
    std::vector<std::string> expected_paths;
    for (const auto& [name, phrase] : kBadFixtures) expected_paths.push_back(FixturePath(name));
    expected_paths.push_back(garbage);
    std::vector<std::string> paths;
    for (const auto& problem : catalog.problems()) paths.push_back(problem.path);
    EXPECT_EQ(paths, expected_paths);
    for (const auto& problem : catalog.problems()) {
        EXPECT_TRUE(Contains(problem.message, problem.path)) << problem.message;
        const std::string file = std::filesystem::path(problem.path).filename().string();
        const std::string name = file.substr(10, file.size() - 13);  // libjobber_<name>.so
        if (kBadFixtures.count(name) != 0) {
            EXPECT_TRUE(Contains(problem.message, kBadFixtures.at(name))) << problem.message;
        } else {
            EXPECT_TRUE(Contains(problem.message, "cannot load plugin")) << problem.message;
        }
    }
}

TEST(PluginCatalogTest, MissingDirectoriesAreSkippedWithoutAProblem) {
    const PluginCatalog catalog = PluginCatalog::Scan({"/nonexistent/jobber/plugins", FixtureDir()});
    EXPECT_EQ(PluginNames(catalog),
              (std::vector<std::string>{"abi_1_0_source", "throwing", "unbrowsable", "unbrowsable_state_1_0"}));
    EXPECT_EQ(catalog.problems().size(), kBadFixtures.size());
}

TEST(PluginCatalogTest, TheFirstDirectoryWinsForAPluginName) {
    TempDir later;
    const std::string copy = later.Copy(FixturePath("abi_1_0_source"), "libjobber_abi_1_0_source.so");
    const PluginCatalog catalog = PluginCatalog::Scan({FixtureDir(), later.path()});
    EXPECT_EQ(catalog.plugins().at("abi_1_0_source")->manifest().path, FixturePath("abi_1_0_source"));
    for (const auto& problem : catalog.problems()) EXPECT_NE(problem.path, copy) << "shadowing is not a problem";

    const PluginCatalog reversed = PluginCatalog::Scan({later.path(), FixtureDir()});
    EXPECT_EQ(reversed.plugins().at("abi_1_0_source")->manifest().path, copy);
}

TEST(PluginCatalogTest, RequireReturnsThePluginProvidingTheRole) {
    const PluginCatalog catalog = PluginCatalog::Scan({FixtureDir()});
    const auto library = catalog.Require("abi_1_0_source", JOBBER_ROLE_SOURCE, "db 'main'");
    ASSERT_NE(library, nullptr);
    EXPECT_EQ(library->name(), "abi_1_0_source");
    EXPECT_EQ(catalog.Require("throwing", JOBBER_ROLE_RESULTS, "results 'main'")->name(), "throwing");
}

TEST(PluginCatalogTest, RequireOfAnUnknownTypeListsTheAvailableOnesAndTheSearchPath) {
    const PluginCatalog catalog = PluginCatalog::Scan({FixtureDir()});
    ExpectThrowWith<PluginLoadError>([&] { catalog.Require("postgres", JOBBER_ROLE_SOURCE, "db 'main'"); },
                                     {"db 'main': unknown source plugin type 'postgres'",
                                      "(available: abi_1_0_source, throwing)", "searched " + FixtureDir()});
}

TEST(PluginCatalogTest, RequireOfATypeWithoutTheRoleListsOnlyPluginsThatHaveIt) {
    const PluginCatalog catalog = PluginCatalog::Scan({FixtureDir()});
    ExpectThrowWith<PluginLoadError>(
        [&] { catalog.Require("abi_1_0_source", JOBBER_ROLE_BROKER, "broker"); },
        {"unknown broker plugin type 'abi_1_0_source'", "(available: throwing, unbrowsable, unbrowsable_state_1_0)"});
}

TEST(PluginCatalogTest, RequireOfARefusedTypeRepeatsWhyItWasRefused) {
    const PluginCatalog catalog = PluginCatalog::Scan({FixtureDir()});
    ExpectThrowWith<PluginLoadError>([&] { catalog.Require("wrong_abi", JOBBER_ROLE_SOURCE, "db 'legacy'"); },
                                     {"unknown source plugin type 'wrong_abi'", "built for plugin ABI 99.0"});
}

TEST(PluginCatalogTest, RequireWithNothingFoundSaysSo) {
    TempDir empty;
    const PluginCatalog catalog = PluginCatalog::Scan({empty.path()});
    EXPECT_TRUE(catalog.plugins().empty());
    EXPECT_TRUE(catalog.problems().empty());
    ExpectThrowWith<PluginLoadError>([&] { catalog.Require("sqlite", JOBBER_ROLE_RESULTS, "results"); },
                                     {"no results plugins were found", "searched " + empty.path()});
}

// The fixtures are built next to, never into, the directory the real binary scans.
TEST(PluginCatalogTest, FixturesStayOutOfTheRealPluginDirectory) {
    ASSERT_NE(FixtureDir(), RealPluginDir());
    for (const auto& entry : std::filesystem::directory_iterator(FixtureDir())) {
        const auto name = entry.path().filename();
        EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(RealPluginDir()) / name))
            << name << " leaked into " << RealPluginDir();
    }
}

}  // namespace
}  // namespace jobber::plugin
