// Every limit the gateway enforces: named constant = built-in default, with its config key.
// docs/CONFIG.md lists them; hitting any of them blocks the item (never a silent truncation).
#pragma once

#include <cstdint>

namespace mugai::limits {

inline constexpr uint64_t kMiB = 1024 * 1024;

// [limits]
inline constexpr uint64_t kMaxInputBytes = 100 * kMiB;    // limits.max_input_bytes
inline constexpr uint64_t kMaxOutputBytes = 200 * kMiB;   // limits.max_output_bytes

// [worker]
inline constexpr uint32_t kWorkerJobs = 0;                      // worker.jobs (0 = one per core)
inline constexpr uint64_t kWorkerMemoryBytes = 1024 * kMiB;     // worker.memory_bytes (beyond
                                                                // the inherited engine)
inline constexpr uint32_t kWorkerCpuSeconds = 30;               // worker.cpu_seconds
inline constexpr uint32_t kWorkerWallSeconds = 120;             // worker.wall_seconds
inline constexpr uint32_t kWorkerOpenFiles = 64;                // worker.open_files
inline constexpr uint64_t kWorkerFileSizeBytes = 512 * kMiB;    // worker.file_size_bytes

// [scan] (passed to libclamav; exceeding one is an alert, i.e. blocked)
inline constexpr uint64_t kScanMaxFileSize = 100 * kMiB;   // scan.max_file_size_bytes
inline constexpr uint64_t kScanMaxScanSize = 400 * kMiB;   // scan.max_scan_size_bytes
inline constexpr uint32_t kScanMaxRecursion = 17;          // scan.max_recursion
inline constexpr uint32_t kScanMaxFiles = 10000;           // scan.max_files
inline constexpr uint32_t kScanMaxTimeMs = 120000;         // scan.max_scan_time_ms
inline constexpr uint32_t kScanReloadCheckSeconds = 60;    // scan.reload_check_seconds (0 = SIGHUP only)

// [pdf]
inline constexpr uint32_t kPdfRasterDpi = 150;                   // pdf.raster_dpi
inline constexpr uint32_t kPdfMaxPages = 2000;                   // pdf.max_pages
inline constexpr uint64_t kPdfMaxRasterPixels = 100'000'000;     // pdf.max_raster_pixels (per page)
inline constexpr uint64_t kPdfMaxEmbeddedBytes = 64 * kMiB;      // pdf.max_embedded_bytes

// [image]
inline constexpr uint32_t kImageJpegQuality = 90;                // image.jpeg_quality
inline constexpr uint64_t kImageMaxPixels = 100'000'000;         // image.max_pixels
inline constexpr uint32_t kImageMaxFrames = 100;                 // image.max_frames

// [watch]
inline constexpr uint32_t kWatchStableMs = 2000;                 // watch.stable_ms
inline constexpr uint32_t kWatchRescanSeconds = 30;              // watch.rescan_seconds
inline constexpr uint32_t kWatchBatch = 16;                      // watch.batch

// [archive] (ARCHITECTURE §8; exceeding any blocks the whole archive)
inline constexpr uint32_t kArchiveMaxDepth = 10;                 // archive.max_depth
inline constexpr uint32_t kArchiveMaxMembers = 1000;             // archive.max_members (whole item)
inline constexpr uint64_t kArchiveMaxMemberBytes = 100 * kMiB;   // archive.max_member_bytes
inline constexpr uint64_t kArchiveMaxTotalBytes = 200 * kMiB;    // archive.max_total_bytes (whole item)
inline constexpr uint32_t kArchiveMaxRatio = 200;                // archive.max_ratio
inline constexpr uint64_t kArchiveRatioFloorBytes = 1 * kMiB;    // (fixed) ratio checked beyond this
inline constexpr uint32_t kArchiveMaxSeconds = 300;              // archive.max_seconds (whole item)

// [office] (the package itself is bounded by the [archive] limits)
inline constexpr uint64_t kOfficeMaxPartBytes = 64 * kMiB;       // office.max_part_bytes
inline constexpr uint32_t kOfficeMaxParts = 5000;                // office.max_parts
// Legacy Office, RTF and ODF through the warm LibreOffice pool
inline constexpr uint32_t kOfficePoolSize = 1;                   // office.pool_size
inline constexpr uint32_t kOfficeMaxDocuments = 200;             // office.max_documents (then recycled)
inline constexpr uint32_t kOfficeTimeoutSeconds = 60;            // office.timeout_seconds (per document)
inline constexpr uint64_t kOfficeMemoryBytes = 4096 * kMiB;      // office.memory_bytes (address space)

// [mail] (a limit hit blocks the whole message)
inline constexpr uint32_t kMailMaxParts = 500;                   // mail.max_parts
inline constexpr uint32_t kMailMaxDepth = 20;                    // mail.max_depth
inline constexpr uint32_t kMailMaxHeaderBytes = 65536;           // mail.max_header_bytes

// [milter]
inline constexpr uint32_t kMilterMaxMessageBytes = 50 * kMiB;    // milter.max_message_bytes
inline constexpr uint32_t kMilterConcurrency = 4;                // milter.concurrency
inline constexpr uint32_t kMilterTimeoutSeconds = 240;           // milter.timeout_seconds
inline constexpr uint32_t kMilterQueueTimeoutSeconds = 60;       // milter.queue_timeout_seconds
// Plain-text parts of a message processed by the worker that unpacked it (not a worker each):
// at most this many, each at most this large.
inline constexpr size_t kInlineTextParts = 32;
inline constexpr uint64_t kInlineTextPartBytes = 1ULL << 20;

// [audit]
inline constexpr uint32_t kAuditRetentionDays = 1096;            // audit.retention_days (3 years)

// [html]
inline constexpr uint32_t kHtmlMaxDepth = 256;             // html.max_depth

// Worker result protocol: fixed caps, not configurable (a larger field is a protocol error).
inline constexpr uint32_t kMaxShortField = 256;       // type names, charset, action names
inline constexpr uint32_t kMaxLongField = 4096;       // descriptions, details
inline constexpr uint32_t kMaxActions = 256;
inline constexpr uint32_t kMaxThreats = 64;
inline constexpr uint32_t kMaxMembers = 100000;       // members in one result (config is lower)
inline constexpr uint32_t kMaxPathField = 4096;       // a member's path
inline constexpr uint32_t kMaxHeaders = 64;           // kept headers of one message
inline constexpr uint32_t kMaxHeaderValue = 16384;    // one kept header's value
inline constexpr uint64_t kResultOverheadBytes = 4 * kMiB;  // result size = output + this

}  // namespace mugai::limits
