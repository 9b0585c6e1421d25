# In-tree helpers for the plugins of this repository that keep their code in a static "core"
# library and test it at three levels. Not part of the installed SDK: they encode this tree's
# conventions (GoogleTest, ctest labels `unit`/`integration`, target names), which third-party
# plugins need not share; the SDK's public CMake API stays jobber_add_plugin (sdk/cmake).
include_guard(GLOBAL)

# jobber_add_plugin_core(<name> SOURCES <src>... [LIBRARIES <lib>...])
#
# jobber_<name>_core: a position-independent static library with everything but the exported
# entry points, so the tests link the same code the shared object is built from. Its src/ folder
# is a public include directory; it links JobberSDK::sdk, Threads and LIBRARIES publicly.
function(jobber_add_plugin_core name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS OR NOT ARG_SOURCES)
    message(FATAL_ERROR "jobber_add_plugin_core(${name} SOURCES <src>... [LIBRARIES <lib>...])")
  endif()
  set(core jobber_${name}_core)
  add_library(${core} STATIC ${ARG_SOURCES})
  target_include_directories(${core} PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/src")
  target_link_libraries(${core} PUBLIC JobberSDK::sdk ${ARG_LIBRARIES} Threads::Threads)
  target_compile_features(${core} PUBLIC cxx_std_17)
  target_compile_options(${core} PRIVATE -Wall -Wextra -Wpedantic)
  set_target_properties(${core} PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()

# jobber_add_plugin_tests(<name>
#     [UNIT <src>...]         jobber_<name>_unit_tests: pure logic on the core library, label unit
#     [INTEGRATION <src>...]  jobber_<name>_tests: the core library and the built .so against a
#                             real server, label integration
#     [CONTRACT <src>...]     jobber_<name>_contract_tests: the SDK's contract suites against the
#                             built .so (JobberSDK::testing), label integration
#     [LIBRARIES <lib>...]    more libraries for every test binary)
#
# Integration and contract binaries depend on the plugin (jobber_plugin_<name>) and get its path
# as JOBBER_<NAME>_PLUGIN_PATH; they must skip when their server is not configured. Does nothing
# unless JOBBER_BUILD_TESTS is on.
function(jobber_add_plugin_tests name)
  cmake_parse_arguments(ARG "" "" "UNIT;INTEGRATION;CONTRACT;LIBRARIES" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "jobber_add_plugin_tests(${name}): unexpected arguments '${ARG_UNPARSED_ARGUMENTS}'")
  endif()
  if(NOT JOBBER_BUILD_TESTS)
    return()
  endif()
  set(core jobber_${name}_core)
  string(TOUPPER "JOBBER_${name}_PLUGIN_PATH" path_macro)

  if(ARG_UNIT)
    add_executable(jobber_${name}_unit_tests ${ARG_UNIT})
    target_link_libraries(jobber_${name}_unit_tests PRIVATE ${core} ${ARG_LIBRARIES} GTest::gtest GTest::gtest_main)
    target_compile_options(jobber_${name}_unit_tests PRIVATE -Wall -Wextra -Wpedantic)
    gtest_discover_tests(jobber_${name}_unit_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
  endif()

  foreach(kind INTEGRATION CONTRACT)
    if(NOT ARG_${kind})
      continue()
    endif()
    if(kind STREQUAL "INTEGRATION")
      set(target jobber_${name}_tests)
      set(extra ${CMAKE_DL_LIBS})
    else()
      set(target jobber_${name}_contract_tests)
      set(extra JobberSDK::testing)
    endif()
    add_executable(${target} ${ARG_${kind}})
    target_link_libraries(${target} PRIVATE ${core} ${extra} ${ARG_LIBRARIES} GTest::gtest GTest::gtest_main)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
    # Helpers shared by several plugins' tests (tests/support: throw-away certificates).
    target_include_directories(${target} PRIVATE "${PROJECT_SOURCE_DIR}/tests/support")
    # The tests dlopen() the real shared object, so it must be built first.
    add_dependencies(${target} jobber_plugin_${name})
    target_compile_definitions(${target} PRIVATE ${path_macro}="$<TARGET_FILE:jobber_plugin_${name}>")
    gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS integration TIMEOUT 120)
  endforeach()
endfunction()
