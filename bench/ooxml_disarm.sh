#!/usr/bin/env bash
# Benchmark (issue 4): disarm of a ~1 MB docx (text, a photo, VBA) and a ~500 KB xlsx (shared
# strings, numbers, a macro sheet), in ms per file: in-process (the disarm alone) and through
# `mugai sanitize` (identify, scan, disarm, verify in a fresh worker, quarantine). Legacy
# conversion with LibreOffice (warm pool vs cold soffice): bench/office_convert.sh.
rounds=${1:-20}
. "$(dirname "$0")/common.sh" python3
bin=build/bench/ooxml_disarm
[ -x "$bin" ] || { echo "build first: scripts/build" >&2; exit 2; }
/usr/bin/python3 - "$work" <<'PY'
import io, os, random, sys, zipfile
from PIL import Image
w = sys.argv[1]
random.seed(3)
ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/>'
      '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>{}</Types>')
rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="{}"/></Relationships>')
line = "令和8年度の予算要求について、各課は別添様式により提出してください。 "
# docx: ~2000 paragraphs, a 600 KB photo, a VBA project
img = io.BytesIO(); Image.effect_noise((1400, 1000), 64).convert("RGB").save(img, "JPEG", quality=92)
paras = "".join('<w:p><w:r><w:t>%s %d</w:t></w:r></w:p>' % (line * 3, i) for i in range(4000))
doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>' + paras + '</w:body></w:document>')
with zipfile.ZipFile(w + "/big.docm", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", ct.format('<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>'))
    z.writestr("_rels/.rels", rels.format("word/document.xml"))
    z.writestr("word/document.xml", doc)
    z.writestr("word/_rels/document.xml.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               '<Relationship Id="rId9" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
               '<Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.jpeg"/></Relationships>')
    z.writestr("word/vbaProject.bin", os.urandom(20000))
    z.writestr("word/media/image1.jpeg", img.getvalue())
# xlsx: 20,000 cells, shared strings
strings = ["%s%d" % (line, i) for i in range(3000)]
sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % (len(strings), len(strings))
       + "".join("<si><t>%s</t></si>" % s for s in strings) + "</sst>")
rows = "".join('<row r="%d">' % (r + 1) + "".join('<c r="%s%d"%s><v>%s</v></c>' % ("ABCDEFGHIJ"[c], r + 1, ' t="s"' if c == 0 else "", (r % 3000) if c == 0 else random.randint(0, 10**6)) for c in range(10)) + "</row>" for r in range(7000))
sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + rows + '</sheetData></worksheet>')
wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
      '<sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>')
with zipfile.ZipFile(w + "/big.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", ct.format('<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
               '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
               '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'))
    z.writestr("_rels/.rels", rels.format("xl/workbook.xml"))
    z.writestr("xl/workbook.xml", wb)
    z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
               '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    z.writestr("xl/worksheets/sheet1.xml", sheet)
    z.writestr("xl/sharedStrings.xml", sst)
PY
machine
for f in big.docm big.xlsx; do
  printf '%-9s %8d bytes  in-process: ' "$f" "$(stat -c %s "$work/$f")"
  "$bin" "$work/$f" "$rounds"
  ms=$(sanitize_ms 5 "$work/$f")
  printf '%-9s mugai sanitize (whole pipeline): %s ms per file (median of 5), output %s\n' "$f" \
    "$ms" "$(ls "$work/out")"
done
