# jobber_add_plugin(<name> SOURCES <src>... [LIBRARIES <lib>...])
#
# Builds libjobber_<name>.so, the file name sql-jobber scans its plugin directories for, as a
# MODULE with:
#   - hidden visibility, and a version script exporting only the three jobber_plugin_* entry points
#     (jobber_plugin.map), so two plugins never bind to each other's symbols;
#   - --exclude-libs,ALL, so static dependencies (LIBRARIES) stay private to the plugin;
#   - --no-undefined, so a missing symbol fails the link instead of the host's dlopen. Skipped when
#     building with sanitizers, whose runtimes the host executable provides.
# Its target is jobber_plugin_<name>. Variables read at the call:
#   JOBBER_PLUGIN_OUTPUT_DIR   where the .so is built (default: CMake's)
#   JOBBER_PLUGIN_INSTALL_DIR  where `cmake --install` puts it; no install rule when unset. The
#                              installed package sets it to <libdir>/sql-jobber/plugins.
#   JOBBER_SANITIZE            non-empty when the build uses sanitizers (also detected from
#                              -fsanitize in CMAKE_CXX_FLAGS, the linker flags and the directory's
#                              compile and link options)
#
# Works in the sql-jobber tree (sdk/CMakeLists.txt includes it) and from the installed package
# (JobberSDKConfig.cmake includes it); either way JobberSDK::sdk exists before it is called.

# A cache entry, so the path is visible from every directory that calls jobber_add_plugin.
set(_JOBBER_PLUGIN_MAP "${CMAKE_CURRENT_LIST_DIR}/jobber_plugin.map" CACHE INTERNAL "jobber plugin linker version script")

function(_jobber_plugin_sanitizing out_var)
  # add_compile_options/add_link_options (e.g. a fuzzing build) reach the plugin through the directory.
  get_directory_property(dir_compile_options COMPILE_OPTIONS)
  get_directory_property(dir_link_options LINK_OPTIONS)
  set(flags "${JOBBER_SANITIZE} ${CMAKE_CXX_FLAGS} ${CMAKE_MODULE_LINKER_FLAGS} ${CMAKE_SHARED_LINKER_FLAGS}")
  string(APPEND flags " ${dir_compile_options} ${dir_link_options}")
  if(CMAKE_BUILD_TYPE)
    string(TOUPPER "${CMAKE_BUILD_TYPE}" config)
    string(APPEND flags " ${CMAKE_CXX_FLAGS_${config}} ${CMAKE_MODULE_LINKER_FLAGS_${config}}")
  endif()
  if(JOBBER_SANITIZE OR flags MATCHES "-fsanitize=")
    set(${out_var} TRUE PARENT_SCOPE)
  else()
    set(${out_var} FALSE PARENT_SCOPE)
  endif()
endfunction()

function(jobber_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "jobber_add_plugin(${name}): unexpected arguments '${ARG_UNPARSED_ARGUMENTS}'; "
                        "use jobber_add_plugin(<name> SOURCES <src>... [LIBRARIES <lib>...])")
  endif()
  if(NOT name MATCHES "^[a-z0-9_]+$")
    message(FATAL_ERROR "jobber_add_plugin(${name}): the name must match [a-z0-9_]+, like the plugin's "
                        "`type:` in config, because the host finds it as libjobber_<name>.so")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "jobber_add_plugin(${name}): no SOURCES given")
  endif()
  set(target jobber_plugin_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  if(TARGET JobberSDK::sdk)
    target_link_libraries(${target} PRIVATE JobberSDK::sdk)
  endif()
  target_link_libraries(${target} PRIVATE ${ARG_LIBRARIES})
  target_compile_features(${target} PRIVATE cxx_std_17)
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "jobber_${name}"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED JOBBER_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${JOBBER_PLUGIN_OUTPUT_DIR}")
  endif()
  target_link_options(${target} PRIVATE "LINKER:--exclude-libs,ALL"
    "LINKER:--version-script=${_JOBBER_PLUGIN_MAP}")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${_JOBBER_PLUGIN_MAP}")
  _jobber_plugin_sanitizing(sanitizing)
  if(NOT sanitizing)
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  endif()
  if(DEFINED JOBBER_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION "${JOBBER_PLUGIN_INSTALL_DIR}")
    # Lets a project depend on every plugin it installs (the sql-jobber package and its tests).
    set_property(GLOBAL APPEND PROPERTY JOBBER_INSTALLED_PLUGIN_TARGETS ${target})
  endif()
endfunction()
