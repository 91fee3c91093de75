// qpdf object-model walk. Bounded: every object is visited once (qpdf's object table), name
// and field trees are walked with explicit depth limits, stream decoding is capped.
#include "converters/pdf/pdf_analyzer.h"

#include <jpeglib.h>
#include <qpdf/Pipeline.hh>
#include <qpdf/Pl_Buffer.hh>
#include <qpdf/Pl_DCT.hh>
#include <qpdf/QPDFWriter.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include <set>
#include <stdexcept>

namespace mugai {

namespace {

constexpr char kPasswordMessage[] = "the PDF needs a user password";

// PDF action types (ISO 32000 12.6.4). Only dictionaries with one of these /S values count.
const std::set<std::string> kActionTypes = {
    "/GoTo",  "/GoToR", "/GoToE",      "/Launch",          "/Thread",      "/URI",
    "/Sound", "/Movie", "/Hide",       "/Named",           "/SubmitForm",  "/ResetForm",
    "/ImportData", "/JavaScript", "/SetOCGState", "/Rendition", "/Trans", "/GoTo3DView",
    "/RichMediaExecute"};

// Collects decoded stream bytes up to a cap, then stops with an exception qpdf propagates.
class CappedBuffer : public Pipeline {
 public:
  CappedBuffer(std::string* out, uint64_t cap) : Pipeline("mugai-capped", nullptr), out_(out), cap_(cap) {}
  void write(unsigned char const* data, size_t len) override {
    total_ += len;
    if (total_ > cap_) over_ = true;
    if (out_->size() < cap_) {
      size_t room = static_cast<size_t>(cap_ - out_->size());
      out_->append(reinterpret_cast<const char*>(data), std::min(room, len));
    }
    if (total_ > cap_) throw std::length_error("embedded file over the limit");
  }
  void finish() override {}
  uint64_t total() const { return total_; }
  bool over() const { return over_; }

 private:
  std::string* out_;
  uint64_t cap_;
  uint64_t total_ = 0;
  bool over_ = false;
};

std::string NameOf(QPDFObjectHandle h) {
  return h.isName() ? h.getName() : "";
}

std::string TextOf(QPDFObjectHandle h) {
  return h.isString() ? h.getUTF8Value() : "";
}

class Walker {
 public:
  Walker(QPDF& pdf, const PdfLimits& limits, PdfFindings* f) : pdf_(pdf), limits_(limits), f_(f) {}

  void Run() {
    QPDFObjectHandle root = pdf_.getRoot();
    f_->open_action = root.hasKey("/OpenAction");
    f_->metadata = root.hasKey("/Metadata") || pdf_.getTrailer().hasKey("/Info");
    if (root.hasKey("/AcroForm") && root.getKey("/AcroForm").isDictionary()) {
      QPDFObjectHandle form = root.getKey("/AcroForm");
      f_->xfa = form.hasKey("/XFA");
      if (form.getKey("/Fields").isArray()) CountFields(form.getKey("/Fields"), 0);
    }
    for (QPDFObjectHandle page : pdf_.getAllPages()) Annotations(page);
    for (QPDFObjectHandle obj : pdf_.getAllObjects()) Visit(obj, 0);
  }

 private:
  // Annotations are what a page lists in /Annots (orphans are never shown).
  void Annotations(QPDFObjectHandle page) {
    QPDFObjectHandle annots = page.getKey("/Annots");
    if (!annots.isArray()) return;
    for (auto& annot : annots.getArrayAsVector()) {
      if (!annot.isDictionary()) continue;
      ++f_->annotations;
      std::string subtype = NameOf(annot.getKey("/Subtype"));
      if (subtype == "/Link") ++f_->links;
      if (subtype == "/RichMedia" || subtype == "/Screen" || subtype == "/Movie" ||
          subtype == "/3D" || subtype == "/FileAttachment" || subtype == "/Sound") {
        ++f_->rich_media;
      }
    }
  }

  void CountFields(QPDFObjectHandle fields, int depth) {
    if (depth > 32 || !fields.isArray()) return;
    for (auto& field : fields.getArrayAsVector()) {
      if (!field.isDictionary()) continue;
      // A field listed twice (or a /Kids cycle) is counted once: no exponential walk.
      if (field.isIndirect() && !seen_fields_.insert(field.getObjGen()).second) continue;
      if (field.getKey("/Kids").isArray()) {
        CountFields(field.getKey("/Kids"), depth + 1);
      } else {
        ++f_->form_fields;
      }
    }
  }

  // Visits one object and the direct objects nested in it (an annotation's inline /A action,
  // an array of inline dictionaries); indirect ones are visited from getAllObjects().
  void Visit(QPDFObjectHandle obj, int depth) {
    if (depth > 64) return;
    if (obj.isArray()) {
      for (auto& item : obj.getArrayAsVector()) {
        if (!item.isIndirect()) Visit(item, depth + 1);
      }
      return;
    }
    QPDFObjectHandle dict = obj.isStream() ? obj.getDict() : obj;
    if (!dict.isDictionary()) return;
    for (auto& [key, value] : dict.getDictAsMap()) {
      if (!value.isIndirect() && (value.isDictionary() || value.isArray())) Visit(value, depth + 1);
    }
    if (dict.hasKey("/JS")) ++f_->javascript;
    if (dict.hasKey("/AA")) ++f_->additional_actions;
    std::string s = NameOf(dict.getKey("/S"));
    if (kActionTypes.count(s) != 0) {
      ++f_->actions[s.substr(1)];
      if (s == "/URI") {
        std::string uri = TextOf(dict.getKey("/URI"));
        if (!uri.empty() && f_->uris.size() < 100) f_->uris.push_back(uri);
      }
    }
    if (NameOf(dict.getKey("/Type")) == "/Metadata") f_->metadata = true;
    if (obj.isStream() && NameOf(dict.getKey("/Subtype")) == "/Image") {
      QPDFObjectHandle filter = dict.getKey("/Filter");
      if (filter.isName()) ++f_->image_filters[filter.getName().substr(1)];
      if (filter.isArray()) {
        for (auto& f : filter.getArrayAsVector()) {
          if (f.isName()) ++f_->image_filters[f.getName().substr(1)];
        }
      }
      if (filter.isNull()) ++f_->image_filters["none"];
    }
    if (dict.hasKey("/EF") && dict.getKey("/EF").isDictionary()) EmbeddedFile(dict);
  }

  void EmbeddedFile(QPDFObjectHandle filespec) {
    QPDFObjectHandle ef = filespec.getKey("/EF");
    QPDFObjectHandle stream;
    for (auto& [key, value] : ef.getDictAsMap()) {
      if (value.isStream()) {
        stream = value;
        break;
      }
    }
    PdfEmbeddedFile file;
    if (!stream.isStream()) {  // declared but unreadable: never a complete scan
      file.name = TextOf(filespec.getKey("/UF"));
      file.truncated = true;
      f_->embedded_files.push_back(std::move(file));
      return;
    }
    file.name = TextOf(filespec.getKey("/UF"));
    if (file.name.empty()) file.name = TextOf(filespec.getKey("/F"));
    if (file.name.empty()) file.name = "(unnamed)";
    CappedBuffer sink(&file.bytes, limits_.max_embedded_bytes);
    bool complete = false;
    try {
      complete = stream.pipeStreamData(&sink, 0, qpdf_dl_all, /*suppress_warnings=*/true);
    } catch (const std::length_error&) {
    }
    // Over the cap, or undecodable: never presented as a complete scan.
    file.truncated = sink.over() || !complete;
    file.size = sink.total();
    f_->embedded_files.push_back(std::move(file));
  }

  QPDF& pdf_;
  const PdfLimits& limits_;
  PdfFindings* f_;
  std::set<QPDFObjGen> seen_fields_;
};

}  // namespace

bool PdfFindings::HasActiveContent() const {
  return javascript > 0 || open_action || additional_actions > 0 || !actions.empty() ||
         !embedded_files.empty() || form_fields > 0 || xfa || annotations > 0 || rich_media > 0;
}

bool PdfFindings::HasOpaqueImageCodecs() const {
  for (const auto& [filter, n] : image_filters) {
    if (filter != "FlateDecode" && filter != "DCTDecode" && filter != "none" &&
        filter != "LZWDecode" && filter != "RunLengthDecode" && filter != "ASCIIHexDecode" &&
        filter != "ASCII85Decode") {
      return true;
    }
  }
  return false;
}

namespace {
class Quality : public Pl_DCT::CompressConfig {
 public:
  explicit Quality(int q) : q_(q) {}
  void apply(jpeg_compress_struct* cinfo) override { jpeg_set_quality(cinfo, q_, TRUE); }

 private:
  int q_;
};
}  // namespace

Result<std::string> ReencodePdfJpegs(const std::string& pdf, int quality) {
  try {
    QPDF q;
    q.setSuppressWarnings(true);
    q.processMemoryFile("rebuilt.pdf", pdf.data(), pdf.size());
    Quality config(quality);
    for (QPDFObjectHandle obj : q.getAllObjects()) {
      if (!obj.isStream()) continue;
      QPDFObjectHandle dict = obj.getDict();
      if (NameOf(dict.getKey("/Subtype")) != "/Image") continue;
      QPDFObjectHandle filter = dict.getKey("/Filter");
      std::string f = filter.isName() ? filter.getName() : filter.isNull() ? "" : "(array)";
      if (f == "/FlateDecode" || f.empty()) continue;  // pixels cairo encoded itself
      if (f != "/DCTDecode" || dict.hasKey("/Decode")) {
        return Status{StatusCode::kInvalidArgument, "image codec " + f + " cannot be re-encoded"};
      }
      std::string cs = NameOf(dict.getKey("/ColorSpace"));
      int components = cs == "/DeviceRGB" ? 3 : cs == "/DeviceGray" ? 1 : 0;
      if (components == 0 || !dict.getKey("/Width").isInteger() ||
          !dict.getKey("/Height").isInteger()) {
        return Status{StatusCode::kInvalidArgument, "JPEG image in an unsupported colour space"};
      }
      auto width = static_cast<JDIMENSION>(dict.getKey("/Width").getIntValue());
      auto height = static_cast<JDIMENSION>(dict.getKey("/Height").getIntValue());
      std::shared_ptr<Buffer> pixels = obj.getStreamData(qpdf_dl_all);
      if (pixels->getSize() != static_cast<size_t>(width) * height * components) {
        return Status{StatusCode::kInvalidArgument, "JPEG image size does not match its pixels"};
      }
      Pl_Buffer out("jpeg");
      Pl_DCT dct("dct", &out, width, height, components,
                 components == 3 ? JCS_RGB : JCS_GRAYSCALE, &config);
      dct.write(pixels->getBuffer(), pixels->getSize());
      dct.finish();
      obj.replaceStreamData(out.getBufferSharedPointer(), QPDFObjectHandle::newName("/DCTDecode"),
                            QPDFObjectHandle::newNull());
    }
    QPDFWriter w(q);
    w.setOutputMemory();
    w.setCompressStreams(true);
    w.setStreamDataMode(qpdf_s_preserve);
    w.write();
    std::shared_ptr<Buffer> result = w.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(result->getBuffer()), result->getSize());
  } catch (const std::exception& e) {
    return Status{StatusCode::kInvalidArgument, std::string("cannot re-encode images: ") + e.what()};
  }
}

bool IsPasswordError(const Status& status) {
  return !status.ok() && status.message() == kPasswordMessage;
}

Result<PdfFindings> AnalyzePdf(std::string_view bytes, const std::string& password,
                               const PdfLimits& limits) {
  PdfFindings f;
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    pdf.setAttemptRecovery(true);
    std::string copy(bytes);  // qpdf keeps a pointer to the buffer for the object's lifetime
    pdf.processMemoryFile("input.pdf", copy.data(), copy.size(),
                          password.empty() ? nullptr : password.c_str());
    f.encrypted = pdf.isEncrypted();
    f.owner_password_only = f.encrypted && password.empty();
    f.pages = static_cast<int>(pdf.getAllPages().size());
    if (f.pages > limits.max_pages) {
      return Status{StatusCode::kLimit, "PDF has " + std::to_string(f.pages) +
                                            " pages, over the limit of " +
                                            std::to_string(limits.max_pages)};
    }
    Walker(pdf, limits, &f).Run();
  } catch (const QPDFExc& e) {
    if (e.getErrorCode() == qpdf_e_password) return Status{StatusCode::kInvalidArgument, kPasswordMessage};
    return Status{StatusCode::kInvalidArgument, std::string("damaged PDF: ") + e.getMessageDetail()};
  } catch (const std::exception& e) {
    return Status{StatusCode::kInvalidArgument, std::string("damaged PDF: ") + e.what()};
  }
  return f;
}

}  // namespace mugai
