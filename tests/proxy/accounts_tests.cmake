# Tests for the accounts part of perch-proxy (account store, token encryption).
# Included by tests/proxy/CMakeLists.txt.
list(APPEND PERCH_PROXY_ACCOUNTS_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/token_cipher_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/account_store_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/oauth2_grant_store_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/account_crash_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/token_key_rotation_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rotate_command_test.cpp
)
