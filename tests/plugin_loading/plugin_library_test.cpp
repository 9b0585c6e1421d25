// PluginLibrary::Load / Inspect against the fixture plugins: what is refused, why, and with which
// words, and what an accepted plugin looks like.
#include "jobber/plugin/plugin_library.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "jobber/plugin/plugin_error.hpp"
#include "loading_test_support.hpp"

namespace jobber::plugin {
namespace {

using testing::Contains;
using testing::ExpectThrowWith;
using testing::FixturePath;
using testing::IsMapped;
using testing::TempDir;

// The host's ABI as the refusal messages print it.
const std::string kHostAbi = std::to_string(JOBBER_ABI_MAJOR) + "." + std::to_string(JOBBER_ABI_MINOR);

bool InitWasCalled(const char* env) {
    return std::getenv(env) != nullptr;
}

TEST(PluginLibraryTest, WrongMajorIsRefusedBeforeInitNamingPathAndBothVersions) {
    const std::string path = FixturePath("wrong_abi");
    ExpectThrowWith<PluginLoadError>(
        [&] { PluginLibrary::Load(path); },
        {"'" + path + "'", "built for plugin ABI 99.0", "speaks ABI " + kHostAbi, "rebuild the plugin"});
    EXPECT_FALSE(InitWasCalled("JOBBER_FIXTURE_WRONG_ABI_INIT_CALLED")) << "init ran before the ABI check";
    // Inspect reads the manifest only, but applies the same check.
    ExpectThrowWith<PluginLoadError>([&] { PluginLibrary::Inspect(path); }, {path, "built for plugin ABI 99.0"});
}

TEST(PluginLibraryTest, NewerMinorIsRefusedBeforeInit) {
    const std::string path = FixturePath("newer_minor");
    ExpectThrowWith<PluginLoadError>([&] { PluginLibrary::Load(path); },
                                     {"'" + path + "'", "needs plugin ABI 1.99", "ABI " + kHostAbi, "upgrade"});
    EXPECT_FALSE(InitWasCalled("JOBBER_FIXTURE_NEWER_MINOR_INIT_CALLED")) << "init ran before the ABI check";
}

TEST(PluginLibraryTest, MissingInitIsRefusedNamingTheSymbol) {
    const std::string path = FixturePath("no_init");
    ExpectThrowWith<PluginLoadError>([&] { PluginLibrary::Load(path); },
                                     {"'" + path + "'", "is not a sql-jobber plugin", "'jobber_plugin_init'"});
}

TEST(PluginLibraryTest, InspectNeedsOnlyTheManifest) {
    const Manifest m = PluginLibrary::Inspect(FixturePath("no_init"));
    EXPECT_EQ(m.path, FixturePath("no_init"));
    EXPECT_EQ(m.name, "no_init");
    EXPECT_EQ(m.version, "0.0.1");
    EXPECT_EQ(m.build_info, "hand-written C");
    EXPECT_EQ(m.abi_major, 1u);
    EXPECT_EQ(m.abi_minor, 0u);
    ASSERT_EQ(m.roles.size(), 1u);
    EXPECT_EQ(m.roles[0].role, JOBBER_ROLE_SOURCE);
    ASSERT_EQ(m.roles[0].fields.size(), 1u);
    EXPECT_EQ(m.roles[0].fields[0].name, "dsn");
    EXPECT_TRUE(m.roles[0].fields[0].required);
    EXPECT_FALSE(m.roles[0].fields[0].has_default);
}

TEST(PluginLibraryTest, ALibraryWithoutOurSymbolsIsNotAPlugin) {
    const std::string path = FixturePath("not_a_plugin");
    ExpectThrowWith<PluginLoadError>([&] { PluginLibrary::Load(path); },
                                     {"'" + path + "'", "is not a sql-jobber plugin", "'jobber_plugin_manifest'"});
    ExpectThrowWith<PluginLoadError>([&] { PluginLibrary::Inspect(path); }, {path, "'jobber_plugin_manifest'"});
}

// What the dynamic loader itself says about `path`, for comparison with the host's message.
std::string LoaderError(const std::string& path) {
    dlerror();
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    EXPECT_EQ(handle, nullptr) << path << " unexpectedly loads";
    const char* text = dlerror();
    return text != nullptr ? text : "<no dlerror text>";
}

TEST(PluginLibraryTest, AFileThatIsNotElfIsRefusedWithTheLoadersReason) {
    TempDir dir;
    const std::string path = dir.Write("libjobber_garbage.so", std::string(4096, 'G') + "this is not an ELF file\n");
    const std::string reason = LoaderError(path);
    ASSERT_TRUE(Contains(reason, path)) << reason;
    const std::string message = ExpectThrowWith<PluginLoadError>([&] { PluginLibrary::Load(path); },
                                                                 {"cannot load plugin '" + path + "'", reason});
    EXPECT_FALSE(Contains(message, "Bad file descriptor")) << "the errno text replaced the loader's reason";
    ExpectThrowWith<PluginLoadError>([&] { PluginLibrary::Inspect(path); }, {path, reason});
}

TEST(PluginLibraryTest, AnEmptyOrMissingFileIsRefusedWithTheLoadersReason) {
    TempDir dir;
    const std::string empty = dir.Write("libjobber_empty.so", "");
    ExpectThrowWith<PluginLoadError>([&] { PluginLibrary::Load(empty); }, {empty, LoaderError(empty)});
    const std::string missing = dir.path() + "/libjobber_missing.so";
    ExpectThrowWith<PluginLoadError>([&] { PluginLibrary::Load(missing); }, {missing, "No such file or directory"});
}

// The role check runs after init, so plugin code has run; the library must then stay mapped
// (PluginLibrary's contract: never unloaded, code may still run from it).
TEST(PluginLibraryTest, ARoleWithoutVtableIsRefusedAfterInitAndStaysMapped) {
    const std::string path = FixturePath("role_mismatch");
    ExpectThrowWith<PluginLoadError>(
        [&] { PluginLibrary::Load(path); },
        {"'role_mismatch'", path, "declares the source role", "does not provide its vtable"});
    EXPECT_TRUE(InitWasCalled("JOBBER_FIXTURE_ROLE_MISMATCH_INIT_CALLED"));
    EXPECT_TRUE(IsMapped(path)) << "a library whose init ran was unloaded";
}

TEST(PluginLibraryTest, AcceptedPluginExposesItsManifestAndEveryDeclaredRole) {
    const auto library = PluginLibrary::Load(FixturePath("throwing"));
    const Manifest& m = library->manifest();
    EXPECT_EQ(library->name(), "throwing");
    EXPECT_EQ(m.path, FixturePath("throwing"));
    EXPECT_EQ(m.version, "1.0.0");
    EXPECT_EQ(m.abi_major, 1u);
    EXPECT_EQ(m.abi_minor, uint32_t{JOBBER_ABI_MINOR}) << "an SDK plugin declares the SDK's minor";
    EXPECT_EQ(m.RoleNames(), "broker,state,source,results");
    EXPECT_TRUE(Contains(m.build_info, "compiler")) << m.build_info;
    for (uint32_t role : {JOBBER_ROLE_BROKER, JOBBER_ROLE_STATE, JOBBER_ROLE_SOURCE, JOBBER_ROLE_RESULTS}) {
        const RoleInfo* info = m.FindRole(role);
        ASSERT_NE(info, nullptr) << RoleName(role);
        ASSERT_EQ(info->fields.size(), 2u);
        EXPECT_EQ(info->fields[0].name, "throw");
        EXPECT_EQ(info->fields[0].default_value, "runtime_error");
        EXPECT_EQ(info->fields[1].type, JOBBER_FIELD_BOOL);
    }
    ASSERT_NE(library->broker(), nullptr);
    ASSERT_NE(library->state(), nullptr);
    ASSERT_NE(library->source(), nullptr);
    ASSERT_NE(library->results(), nullptr);
    // The host's copies are sized for the host, whatever the plugin's tables say.
    EXPECT_EQ(library->broker()->struct_size, sizeof(jobber_broker_vtable));
    EXPECT_EQ(library->results()->struct_size, sizeof(jobber_results_vtable));
    EXPECT_EQ(library->host_api()->struct_size, sizeof(jobber_host_api));
    EXPECT_NE(library->host_api()->log, nullptr);
    EXPECT_TRUE(IsMapped(FixturePath("throwing")));
}

TEST(PluginLibraryTest, AnAcceptedPluginWithOneRoleHasNoOtherVtables) {
    const auto library = PluginLibrary::Load(FixturePath("abi_1_0_source"));
    EXPECT_EQ(library->manifest().RoleNames(), "source");
    EXPECT_NE(library->source(), nullptr);
    EXPECT_EQ(library->broker(), nullptr);
    EXPECT_EQ(library->state(), nullptr);
    EXPECT_EQ(library->results(), nullptr);
}

TEST(PluginLibraryTest, LoadingTheSamePathTwiceGivesTwoWorkingLibraries) {
    const auto first = PluginLibrary::Load(FixturePath("abi_1_0_source"));
    const auto second = PluginLibrary::Load(FixturePath("abi_1_0_source"));
    EXPECT_NE(first.get(), second.get());
    EXPECT_EQ(first->name(), second->name());
    // Both point at the one mapped copy of the plugin's static vtable functions.
    EXPECT_EQ(first->source()->open, second->source()->open);
    first->Shutdown();
    first->Shutdown();  // idempotent
}

}  // namespace
}  // namespace jobber::plugin
