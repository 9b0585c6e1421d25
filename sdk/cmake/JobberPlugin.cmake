# jobber_add_plugin(<name> SOURCES <src>... [LIBRARIES <lib>...])
#
# Builds libjobber_<name>.so as a MODULE with hidden visibility, no undefined symbols and private
# static dependencies, so the only exported symbols are the three jobber_plugin_* entry points.
# A cache entry, so the path is visible from every directory that calls jobber_add_plugin.
set(_JOBBER_PLUGIN_MAP "${CMAKE_CURRENT_LIST_DIR}/jobber_plugin.map" CACHE INTERNAL "jobber plugin linker version script")

function(jobber_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
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
  # Sanitizer runtimes resolve from the host executable, so only enforce this without them.
  if(NOT JOBBER_SANITIZE)
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  endif()
  if(DEFINED JOBBER_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION "${JOBBER_PLUGIN_INSTALL_DIR}")
  endif()
endfunction()
