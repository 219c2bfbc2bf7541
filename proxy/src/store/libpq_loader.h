// libpq, loaded the first time a PostgreSQL database is opened rather than
// linked: libpq brings Kerberos, LDAP, GnuTLS and p11-kit with it (about
// 3 MiB resident in every process that links it, used or not), and most
// installations keep their accounts in SQLite.
#pragma once

#include <string>

#include <libpq-fe.h>

namespace perch {

// The libpq functions postgres_client.cpp calls, with libpq's own signatures.
struct LibPq {
    decltype(&::PQconnectdbParams) PQconnectdbParams;
    decltype(&::PQstatus) PQstatus;
    decltype(&::PQerrorMessage) PQerrorMessage;
    decltype(&::PQfinish) PQfinish;
    decltype(&::PQexecParams) PQexecParams;
    decltype(&::PQresultStatus) PQresultStatus;
    decltype(&::PQresultErrorField) PQresultErrorField;
    decltype(&::PQntuples) PQntuples;
    decltype(&::PQgetisnull) PQgetisnull;
    decltype(&::PQgetvalue) PQgetvalue;
    decltype(&::PQgetlength) PQgetlength;
    decltype(&::PQclear) PQclear;
};

// libpq.so.5, loaded once (thread-safe); nullptr if it cannot be, with the
// reason in `why` ("libpq.so.5: cannot open shared object file ...").
const LibPq* load_libpq(std::string& why);

}  // namespace perch
