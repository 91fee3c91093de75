// Images through `mugai sanitize`: format chosen, orientation applied, metadata and trailing
// data gone, output decodes cleanly (checked with the vips command-line tools).
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace mugai {
namespace {

using nlohmann::json;

class ImageCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/vipsheader", X_OK) != 0) GTEST_SKIP() << "libvips-tools not installed";
  }

  json Run(const std::string& fixture, std::vector<std::string> extra = {}) {
    testing::WriteFile(in_ / fixture, testing::ReadFile(testing::FixturesDir() + "/image/" + fixture));
    std::vector<std::string> argv = {testing::MugaiBinary(), "sanitize", "--quiet",
                                     "--signatures", testing::SignaturesDir(), "--state",
                                     state_ / "s", "--out", out_.path(), "--report", "-"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(in_ / fixture);
    last_ = testing::Run(argv);
    return json::parse(last_.out)["items"][0];
  }

  // vipsheader -a: every field of the delivered image.
  std::string Header(const std::string& output) {
    return testing::Run({"/usr/bin/vipsheader", "-a", out_ / output}).out;
  }
  // Decodes every pixel; false on any decoder error.
  bool DecodesCleanly(const std::string& output) {
    // "[fail]" makes the loader stop at the first decoder warning instead of going on.
    std::string opts = output.size() > 4 && output.substr(output.size() - 4) == ".svg" ? "" : "[fail]";
    return testing::Run({"/usr/bin/vips", "avg", out_ / output + opts}).exit_code == 0;
  }
  static bool Has(const json& item, const std::string& action, const std::string& detail) {
    for (const auto& a : item["actions"]) {
      if (a["action"] == action && a["detail"].get<std::string>().find(detail) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  testing::TempDir in_, out_, state_;
  testing::RunResult last_;
};

// Issue 20: a small SVG whose filters take seconds of CPU is stopped at its per-megapixel
// budget, named in the reason.
TEST_F(ImageCli, SvgCpuBombIsStoppedAtItsBudget) {
  json item = Run("cpu-bomb.svg");
  EXPECT_EQ(last_.exit_code, 1) << last_.err;
  EXPECT_EQ(item["verdict"], "blocked");
  EXPECT_EQ(item["reason"]["code"], "worker_timeout");
  std::string detail = item["reason"]["detail"];
  EXPECT_NE(detail.find("4.00 megapixel(s) x 0.050 s, worker.cpu_ms_per_megapixel"), std::string::npos)
      << detail;
  EXPECT_TRUE(testing::ListFiles(out_.path()).empty());
}

TEST_F(ImageCli, GpsExifIsRemovedAndOrientationApplied) {
  json item = Run("gps-rotated.jpg");
  EXPECT_EQ(last_.exit_code, 0) << last_.err;
  EXPECT_EQ(item["verdict"], "sanitized");
  EXPECT_EQ(item["outputs"][0]["name"], "gps-rotated.jpg");
  EXPECT_EQ(item["outputs"][0]["type"], "image/jpeg");
  EXPECT_TRUE(Has(item, "removed", "including GPS location"));
  EXPECT_TRUE(Has(item, "removed", "exif-ifd3-GPSLatitude"));
  EXPECT_TRUE(Has(item, "rotated", "orientation 6"));
  std::string h = Header("gps-rotated.jpg");
  EXPECT_NE(h.find("width: 200"), std::string::npos) << h;   // 320x200 turned upright
  EXPECT_NE(h.find("height: 320"), std::string::npos) << h;
  EXPECT_EQ(h.find("exif"), std::string::npos) << h;
  EXPECT_EQ(h.find("xmp"), std::string::npos) << h;
  std::string bytes = testing::ReadFile(out_ / "gps-rotated.jpg");
  EXPECT_EQ(bytes.find("Exif"), std::string::npos);
  EXPECT_EQ(bytes.find("MugaiCam"), std::string::npos);
  EXPECT_EQ(bytes.find("secret comment"), std::string::npos);
  EXPECT_TRUE(DecodesCleanly("gps-rotated.jpg"));
}

TEST_F(ImageCli, PolyglotLosesItsAppendedZip) {
  json item = Run("polyglot.png");
  EXPECT_EQ(item["verdict"], "sanitized");
  EXPECT_TRUE(Has(item, "trailing_data", "133 bytes after the image data, removed"));
  std::string out = testing::ReadFile(out_ / "polyglot.png");
  EXPECT_EQ(out.find("PK\x03\x04"), std::string::npos);
  ASSERT_GE(out.size(), 12u);
  EXPECT_EQ(out.substr(out.size() - 8, 4), "IEND");  // nothing after the last chunk
  EXPECT_TRUE(DecodesCleanly("polyglot.png"));
}

TEST_F(ImageCli, PixelBombIsBlockedFromItsHeader) {
  json item = Run("pixel-bomb.png");
  EXPECT_EQ(last_.exit_code, 1);
  EXPECT_EQ(item["reason"]["code"], "conversion_limit");
  EXPECT_NE(item["reason"]["detail"].get<std::string>().find("50000 x 50000"), std::string::npos);
  EXPECT_TRUE(testing::ListFiles(out_.path()).empty());
}

TEST_F(ImageCli, MultiPageTiffKeepsEveryPage) {
  json item = Run("three-pages.tif");
  EXPECT_EQ(item["verdict"], "sanitized");
  EXPECT_EQ(item["outputs"][0]["name"], "three-pages.png");
  std::string h = Header("three-pages.png");
  EXPECT_NE(h.find("height: 600"), std::string::npos) << h;
  EXPECT_TRUE(DecodesCleanly("three-pages.png"));
}

TEST_F(ImageCli, AnimatedGifFirstFrameOrAllFrames) {
  json first = Run("animated.gif");
  EXPECT_EQ(first["outputs"][0]["name"], "animated.png");
  EXPECT_TRUE(Has(first, "frames", "only the first kept"));
  testing::WriteFile(in_ / "all.toml", "[image]\ngif_frames = \"all\"\n");
  json all = Run("animated.gif", {"--config", in_ / "all.toml"});
  EXPECT_EQ(all["outputs"][0]["name"], "animated.gif");
  EXPECT_EQ(all["outputs"][0]["type"], "image/gif");
  std::string h = Header("animated.gif");
  EXPECT_NE(h.find("n-pages: 4"), std::string::npos) << h;
  EXPECT_EQ(testing::ReadFile(out_ / "animated.gif").find("gif comment"), std::string::npos);
}

TEST_F(ImageCli, SvgIsRasterisedWithoutRunningOrFetchingAnything) {
  json item = Run("hostile.svg");
  EXPECT_EQ(item["verdict"], "sanitized");
  EXPECT_EQ(item["outputs"][0]["name"], "hostile.png");
  EXPECT_EQ(item["outputs"][0]["type"], "image/png");
  for (const char* what : {"svg script: 1", "svg foreign_object: 1", "svg external_ref: 1",
                           "svg event_handler: 1"}) {
    EXPECT_TRUE(Has(item, "removed", what)) << what;
  }
  std::string out = testing::ReadFile(out_ / "hostile.png");
  EXPECT_EQ(out.find("script"), std::string::npos);
  EXPECT_EQ(out.find("tracker.example"), std::string::npos);
  EXPECT_TRUE(DecodesCleanly("hostile.png"));
}

TEST_F(ImageCli, SvgWithEntitiesIsBlocked) {
  testing::WriteFile(in_ / "lol.svg",
                     "<?xml version=\"1.0\"?><!DOCTYPE svg [<!ENTITY a \"aaaaaaaaaa\">"
                     "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">"
                     "<text>&b;</text></svg>");
  std::vector<std::string> argv = {testing::MugaiBinary(), "sanitize", "--quiet", "--signatures",
                                   testing::SignaturesDir(), "--state", state_ / "s", "--out",
                                   out_.path(), "--report", "-", in_ / "lol.svg"};
  testing::RunResult r = testing::Run(argv);
  json item = json::parse(r.out)["items"][0];
  EXPECT_EQ(item["verdict"], "blocked");
  EXPECT_NE(item["reason"]["detail"].get<std::string>().find("DOCTYPE"), std::string::npos);
}

TEST_F(ImageCli, TruncatedJpegIsBlocked) {
  json item = Run("truncated.jpg");
  EXPECT_EQ(item["verdict"], "blocked");
  EXPECT_EQ(item["reason"]["code"], "conversion_failed");
  EXPECT_TRUE(testing::ListFiles(out_.path()).empty());
}

TEST_F(ImageCli, CmykJpegBecomesSrgb) {
  json item = Run("cmyk.jpg");
  EXPECT_EQ(item["verdict"], "sanitized");
  std::string h = Header("cmyk.jpg");
  EXPECT_NE(h.find("bands: 3"), std::string::npos) << h;
  EXPECT_NE(h.find("interpretation: srgb"), std::string::npos) << h;
  EXPECT_TRUE(DecodesCleanly("cmyk.jpg"));
}

TEST_F(ImageCli, SixteenBitPngWithAlphaStaysSo) {
  json item = Run("rgba16.png");
  EXPECT_EQ(item["verdict"], "sanitized");
  EXPECT_TRUE(Has(item, "removed", "png-comment"));
  std::string h = Header("rgba16.png");
  EXPECT_NE(h.find("bands: 4"), std::string::npos) << h;
  EXPECT_NE(h.find("format: ushort"), std::string::npos) << h;
  EXPECT_EQ(testing::ReadFile(out_ / "rgba16.png").find("Yamada"), std::string::npos);
}

TEST_F(ImageCli, BmpAndWebpBecomePng) {
  for (const char* f : {"plain.bmp", "plain.webp"}) {
    json item = Run(f);
    EXPECT_EQ(item["verdict"], "sanitized") << f;
    EXPECT_EQ(item["outputs"][0]["type"], "image/png") << f;
  }
}

}  // namespace
}  // namespace mugai
