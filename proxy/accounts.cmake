# Accounts part of perch-proxy: the SQLite account store and token encryption.
# Included by proxy/CMakeLists.txt; paths are relative to proxy/.
find_package(SQLite3 3.37 REQUIRED)  # 3.37: STRICT tables; 3.35: RETURNING

list(APPEND PERCH_PROXY_ACCOUNTS_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/src/sqlite.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/token_cipher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/migrations.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/account_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/stored_tokens.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/store/oauth2_grant.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/token_key_check.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/token_key_rotation.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/rotate_command.cpp
)
list(APPEND PERCH_PROXY_LIBS SQLite::SQLite3)
