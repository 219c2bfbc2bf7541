# Unit tests for the app part of perch-proxy (see proxy/app.cmake).
set(PERCH_PROXY_APP_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/account_handlers_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/consumed_flows_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cookies_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/flow_cookies_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/flow_routes_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/oauth2_routes_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rate_limit_routes_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rate_limiter_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/routes_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sealed_flow_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_store_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/static_files_test.cpp
)

# Loopback integration tests: perch-proxy against perch-emulator, driven by
# node:test (tests/integration/*.test.mjs) with the binaries of this build.
find_program(PERCH_NODE node)
if(PERCH_NODE AND TARGET perch-proxy AND TARGET perch-emulator)
  add_test(NAME perch_proxy_integration
           COMMAND ${PERCH_NODE} --test ${CMAKE_CURRENT_LIST_DIR}/../integration/)
  set_tests_properties(perch_proxy_integration PROPERTIES
    ENVIRONMENT "PERCH_BIN_DIR=$<TARGET_FILE_DIR:perch-proxy>"
    TIMEOUT 600)
endif()
