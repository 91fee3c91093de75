// What front ends and `mugai serve` say to each other over the service socket (ARCHITECTURE
// §3, §6). Frames (common/fd_passing.h) carry JSON, or raw output bytes where a message says
// so; inputs travel as descriptors the client opened, never as paths the service would open.
//
//   client  → service  {"v":1,"op":"sanitize"|"mail","items":[{"name","source"}...],
//                       "password":"...","deliver":true}            + one descriptor per item
//   service → client   {"type":"output","item":i,"name","mime","verdict","size"} then a frame
//                       of exactly "size" bytes
//   client  → service  {"ok":true,"path":"where it was written"} | {"ok":false,"error":"..."}
//   service → client   {"type":"done","exit":0..3,"report":{...},"notice":"..."}
//                    | {"type":"error","exit":2|3,"message":"..."}
// Every JSON message is checked field by field; anything else ends the connection.
#pragma once

#include <cstdint>
#include <string>

namespace mugai {

inline constexpr int kServiceProtocolVersion = 1;
inline constexpr uint64_t kMaxServiceJson = 64ULL << 20;  // a report of a large batch
inline constexpr size_t kMaxItemsPerRequest = 200;        // descriptors in one frame (< 253)

}  // namespace mugai
