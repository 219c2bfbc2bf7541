# perch_add_test(NAME SOURCES ... [LIBS ...])
#
# One Catch2 executable per test area. Natively it runs directly; under
# Emscripten the same sources become a single-file .js run by node, so the core
# tests prove the WebAssembly build, not just compile it.

add_library(perch_catch_main OBJECT ${CMAKE_CURRENT_LIST_DIR}/catch_main.cpp)
target_link_libraries(perch_catch_main PUBLIC perch_catch2)

function(perch_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES} $<TARGET_OBJECTS:perch_catch_main>)
  target_link_libraries(${name} PRIVATE perch_catch2 perch_warnings ${ARG_LIBS})
  if(EMSCRIPTEN)
    # SINGLE_FILE: Node 20's fetch breaks Emscripten 3.1.6's loader for files.
    target_link_options(${name} PRIVATE -sSINGLE_FILE=1 -sENVIRONMENT=node -sALLOW_MEMORY_GROWTH=1
                                        -sEXIT_RUNTIME=1)
    add_test(NAME ${name} COMMAND node ${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/${name}.js)
  else()
    add_test(NAME ${name} COMMAND ${name})
  endif()
endfunction()
