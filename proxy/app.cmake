# App part of perch-proxy: sessions, routes, static files, main().
# Included by proxy/CMakeLists.txt; paths are relative to proxy/.
list(APPEND PERCH_PROXY_APP_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/src/account_handlers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/api_handlers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/cookies.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/rate_limiter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/routes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/session_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/static_files.cpp
)
set(PERCH_PROXY_MAIN ${CMAKE_CURRENT_LIST_DIR}/src/main.cpp)
