#include "store/libpq_loader.h"

#include <dlfcn.h>

#include <mutex>

namespace perch {

namespace {

struct Loaded {
    LibPq functions{};
    bool ok = false;
    std::string why;
};

template <typename Function>
bool bind(void* library, const char* name, Function& out, std::string& why) {
    void* symbol = dlsym(library, name);
    if (symbol == nullptr) {
        why = std::string("libpq.so.5 has no ") + name;
        return false;
    }
    out = reinterpret_cast<Function>(symbol);
    return true;
}

Loaded load() {
    Loaded loaded;
    // Never unloaded: connections and results may outlive any one caller.
    void* library = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        const char* error = dlerror();
        loaded.why = error != nullptr ? error : "libpq.so.5 cannot be loaded";
        return loaded;
    }
    LibPq& f = loaded.functions;
    std::string& why = loaded.why;
    loaded.ok = bind(library, "PQconnectdbParams", f.PQconnectdbParams, why) &&
                bind(library, "PQstatus", f.PQstatus, why) && bind(library, "PQerrorMessage", f.PQerrorMessage, why) &&
                bind(library, "PQfinish", f.PQfinish, why) && bind(library, "PQexecParams", f.PQexecParams, why) &&
                bind(library, "PQresultStatus", f.PQresultStatus, why) &&
                bind(library, "PQresultErrorField", f.PQresultErrorField, why) &&
                bind(library, "PQntuples", f.PQntuples, why) && bind(library, "PQgetisnull", f.PQgetisnull, why) &&
                bind(library, "PQgetvalue", f.PQgetvalue, why) && bind(library, "PQgetlength", f.PQgetlength, why) &&
                bind(library, "PQclear", f.PQclear, why);
    return loaded;
}

}  // namespace

const LibPq* load_libpq(std::string& why) {
    static std::once_flag once;
    static Loaded loaded;
    std::call_once(once, [] { loaded = load(); });
    if (!loaded.ok) {
        why = loaded.why;
        return nullptr;
    }
    return &loaded.functions;
}

}  // namespace perch
