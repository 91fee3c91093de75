#!/usr/bin/env bash
# Benchmark (issue 3): PDF reconstruction against its floor and against a pixel pipeline,
# same inputs, same run:
#   - mugai reconstruct  (identify + scan + analyse + Poppler/cairo rebuild + verify, isolated)
#   - pdftocairo -pdf    (the same rendering, no scanning, no isolation): the floor
#   - mugai raster 150 dpi (what pixel-based disarm tools do)
# Inputs: a 30-page Japanese + English text PDF with embedded fonts, and a 30-page scanned-
# style PDF (JPEG page images at 200 dpi). Prints seconds, pages/s and output/input size.
pages=${1:-30}
rounds=${2:-3}
. "$(dirname "$0")/common.sh" pdftocairo pdftoppm img2pdf bc
mkdir -p "$work/in"
python3 bench/make_pdf_inputs.py "$work/synthetic.pdf" "$pages"
pdftocairo -pdf "$work/synthetic.pdf" "$work/in/text.pdf"       # fonts embedded, like an export
pdftoppm -r 200 -jpeg -jpegopt quality=75 "$work/in/text.pdf" "$work/scan"
img2pdf "$work"/scan-*.jpg -o "$work/in/scanned.pdf"
printf '[pdf]\nmode = "raster"\nraster_dpi = 150\n' > "$work/raster.toml"
printf '[scan]\nimage_fuzzy_hash = false\n' > "$work/nofuzzy.toml"

machine
printf '%-22s %-26s %8s %9s %12s %8s\n' input method seconds pages/s output_bytes size
for input in text scanned; do
  in="$work/in/$input.pdf"
  in_bytes=$(stat -c %s "$in")
  for method in mugai-reconstruct mugai-reconstruct-nofuzzy pdftocairo mugai-raster150; do
    : > "$work/runs"
    for r in $(seq 1 "$rounds"); do
      rm -rf "$work/out" "$work/state"; mkdir -p "$work/out"
      case $method in
        mugai-reconstruct) timed "$mugai" sanitize -q --signatures "$work/sigs" \
            --state "$work/state" --out "$work/out" "$in" >> "$work/runs" ;;
        mugai-reconstruct-nofuzzy) timed "$mugai" sanitize -q --config "$work/nofuzzy.toml" \
            --signatures "$work/sigs" --state "$work/state" --out "$work/out" "$in" \
            >> "$work/runs" ;;
        pdftocairo) timed pdftocairo -pdf "$in" "$work/out/$input.pdf" >> "$work/runs" ;;
        mugai-raster150) timed "$mugai" sanitize -q --config "$work/raster.toml" \
            --signatures "$work/sigs" --state "$work/state" --out "$work/out" "$in" \
            >> "$work/runs" ;;
      esac
    done
    out="$work/out/$input.pdf"
    [ -f "$out" ] || { echo "$method produced no output for $input" >&2; exit 1; }
    secs=$(median < "$work/runs")
    out_bytes=$(stat -c %s "$out")
    printf '%-22s %-26s %8.2f %9.1f %12d %7.2fx\n' "$input ($in_bytes B)" "$method" "$secs" \
      "$(echo "$pages / $secs" | bc -l)" "$out_bytes" "$(echo "$out_bytes / $in_bytes" | bc -l)"
  done
done
