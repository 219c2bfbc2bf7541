# Third-party headers for both toolchains.
#
# Native builds use the Debian packages' CMake configs. The wasm build must
# never see /usr/include (glibc headers break Emscripten), so it gets an
# include folder in the build tree holding links to just nlohmann/ and catch2/.

if(EMSCRIPTEN)
  set(PERCH_WASM_INCLUDE ${CMAKE_BINARY_DIR}/third_party_include)
  file(MAKE_DIRECTORY ${PERCH_WASM_INCLUDE})
  foreach(dir nlohmann catch2)
    if(NOT EXISTS /usr/include/${dir})
      message(FATAL_ERROR "/usr/include/${dir} is missing: run scripts/setup")
    endif()
    file(CREATE_LINK /usr/include/${dir} ${PERCH_WASM_INCLUDE}/${dir} SYMBOLIC)
  endforeach()

  add_library(perch_json INTERFACE)
  target_include_directories(perch_json SYSTEM INTERFACE ${PERCH_WASM_INCLUDE})
  add_library(perch_catch2 INTERFACE)
  target_include_directories(perch_catch2 SYSTEM INTERFACE ${PERCH_WASM_INCLUDE})
  # Catch2 reports failures through exceptions; the same model as perch_core
  # (shared/CMakeLists.txt), which the tests link: the two must not be mixed.
  target_compile_options(perch_catch2 INTERFACE -fwasm-exceptions)
  target_link_options(perch_catch2 INTERFACE -fwasm-exceptions)
else()
  find_package(nlohmann_json 3.11 REQUIRED)
  find_package(Catch2 2.13 REQUIRED)
  add_library(perch_json INTERFACE)
  target_link_libraries(perch_json INTERFACE nlohmann_json::nlohmann_json)
  add_library(perch_catch2 INTERFACE)
  target_link_libraries(perch_catch2 INTERFACE Catch2::Catch2)
endif()

# Warnings for our own code only.
add_library(perch_warnings INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(perch_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow)
endif()
