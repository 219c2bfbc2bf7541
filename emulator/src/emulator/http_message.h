// Plain request/response structs: the emulator's logic never sees a socket, so
// tests call it directly. The server (net/raw_head_server.h) hands each request's
// headers over exactly as sent.
#pragma once

#include "net/raw_head_server.h"

namespace perch::emulator {

using EmuRequest = perch::RawRequest;
using EmuResponse = perch::RawResponse;

}  // namespace perch::emulator
