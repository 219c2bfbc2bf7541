# scripts/bench passes this file as CMAKE_PROJECT_perch_INCLUDE, so bench/ is
# configured even where the top-level CMakeLists.txt does not add it itself:
# the deferred call runs after the whole top-level file, once the proxy's
# targets exist (deferred code may not add_subdirectory, so bench/CMakeLists.txt
# is included; it only uses CMAKE_CURRENT_LIST_DIR paths for that reason). If the
# top level already added bench/, this does nothing.
function(perch_bench_attach)
  if(NOT TARGET perch_bench AND NOT EMSCRIPTEN)
    include(${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../CMakeLists.txt)
  endif()
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL perch_bench_attach)
