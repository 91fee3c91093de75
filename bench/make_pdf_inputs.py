#!/usr/bin/env python3
"""Writes a multi-page Japanese + English text PDF (standard CJK fonts, not embedded) to
argv[1]. bench/pdf_reconstruct.sh turns it into a realistic input with embedded fonts
(pdftocairo) and into a scanned-style input (JPEG page images, img2pdf)."""
import sys

PAGES = int(sys.argv[2]) if len(sys.argv) > 2 else 30

JA = ["令和8年度の予算要求について、各課は別添様式により提出してください。",
      "住民サービスの向上と業務の効率化を目的として、庁内ネットワークを更新します。",
      "インターネット接続系から持ち込むファイルは、必ず無害化してから利用してください。",
      "個人情報を含む文書は、所属長の承認を得たうえで暗号化して送付すること。"]
EN = ["The municipal office will update its network segmentation during the next fiscal year.",
      "Files from the Internet segment must be sanitised before they reach LGWAN terminals.",
      "Please submit the budget request forms to the general affairs division by November 30."]


def ucs2(s):
    return s.encode("utf-16-be").hex().upper()


def stream(data):
    data = data.encode("latin-1")
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


objects = [None, None]  # catalog, pages: filled last
font_en, font_ja, cid = 3, 4, 5
objects += [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiMin-W3 /Encoding /UniJIS-UCS2-H "
            b"/DescendantFonts [5 0 R] >>",
            b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiMin-W3 /CIDSystemInfo "
            b"<< /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> /FontDescriptor "
            b"<< /Type /FontDescriptor /FontName /HeiseiMin-W3 /Flags 4 /FontBBox [0 -141 1000 859] "
            b"/ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 700 /StemV 80 >> >>"]
kids = []
for p in range(PAGES):
    lines = ["BT /E 16 Tf 56 790 Td (Page %d / %d - Budget request 2026) Tj ET" % (p + 1, PAGES)]
    y = 760
    for i in range(34):
        if i % 2 == 0:
            lines.append("BT /J 10.5 Tf 56 %d Td <%s> Tj ET" % (y, ucs2(JA[(p + i) % len(JA)])))
        else:
            lines.append("BT /E 10 Tf 56 %d Td (%s) Tj ET" % (y, EN[(p + i) % len(EN)]))
        y -= 21
    lines.append("0.2 0.3 0.6 RG 2 w 56 50 m 539 50 l S")
    objects.append(stream("\n".join(lines)))
    content = len(objects)
    objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                   b"/Resources << /Font << /E 3 0 R /J 4 0 R >> >> >>" % content)
    kids.append(len(objects))
objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
    b" ".join(b"%d 0 R" % k for k in kids), len(kids))

out = bytearray(b"%PDF-1.7\n")
offsets = []
for i, body in enumerate(objects, start=1):
    offsets.append(len(out))
    out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
for off in offsets:
    out += b"%010d 00000 n \n" % off
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
open(sys.argv[1], "wb").write(out)
