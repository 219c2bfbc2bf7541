# App part of perch-proxy: sessions, sign-in flows, routes, static files, main().
# Included by proxy/CMakeLists.txt; paths are relative to proxy/.
list(APPEND PERCH_PROXY_APP_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/src/account_handlers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/api_handlers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/app/oauth2_handlers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/app/oauth2_refresh.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/consumed_flows.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/cookies.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/flow_cookies.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/key_derivation.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/rate_limiter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/routes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/sealed_flow.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/session_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/static_files.cpp
)
set(PERCH_PROXY_MAIN ${CMAKE_CURRENT_LIST_DIR}/src/main.cpp)
