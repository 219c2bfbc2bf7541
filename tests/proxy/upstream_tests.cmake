# Unit tests for the upstream part of perch-proxy (see proxy/upstream.cmake).
set(PERCH_PROXY_UPSTREAM_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/config_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/connection_reader_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http_framing_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/idle_sockets_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/request_head_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sign_command_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/socket_io_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/signer_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/twitter_http_client_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/oauth2_client_test.cpp
)

# perch-sign: `perch-proxy sign` as a standalone tool, so oauthlib_check.py does
# not depend on the app's main.cpp. Run: python3 tests/proxy/oauthlib_check.py build/.../bin/perch-sign
add_executable(perch-sign ${CMAKE_CURRENT_LIST_DIR}/perch_sign_main.cpp)
target_link_libraries(perch-sign PRIVATE perch_proxy_lib perch_warnings)
# Debian's python3-oauthlib lives with /usr/bin/python3. When the real binary
# exists, `perch-proxy sign` must also print exactly what perch-sign prints.
set(perch_oauthlib_check_args $<TARGET_FILE:perch-sign>)
if(TARGET perch-proxy)
  list(APPEND perch_oauthlib_check_args $<TARGET_FILE:perch-proxy>)
endif()
add_test(NAME perch_oauthlib_check
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/oauthlib_check.py ${perch_oauthlib_check_args})
