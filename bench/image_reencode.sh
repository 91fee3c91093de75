#!/usr/bin/env bash
# Benchmark (issue 10): images/s through `mugai sanitize` (identify, scan, decode, re-encode,
# verify, quarantine, each image in its own worker) for 12-megapixel JPEGs and 1-megapixel
# PNGs, against the floor of the same libvips re-encode with no scanning or isolation
# (`vips copy`), in the same run. Usage: bench/image_reencode.sh [COUNT] [ROUNDS]
count=${1:-20}
rounds=${2:-3}
. "$(dirname "$0")/common.sh" vips bc
mkdir -p "$work/jpeg" "$work/png"
/usr/bin/python3 - "$work" "$count" <<'PY'
import random, sys
from PIL import Image, ImageDraw, ImageFilter
work, count = sys.argv[1], int(sys.argv[2])
random.seed(7)
def picture(w, h, seed):
    img = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    d = ImageDraw.Draw(img)
    r = random.Random(seed)
    for _ in range(60):
        x, y = r.randrange(w), r.randrange(h)
        d.ellipse([x, y, x + r.randrange(50, w // 3), y + r.randrange(50, h // 3)],
                  fill=(r.randrange(256), r.randrange(256), r.randrange(256)))
    return img.filter(ImageFilter.GaussianBlur(2))
base = picture(4000, 3000, 1)
for i in range(count):
    base.rotate(i % 4 * 90 if i % 4 in (0, 2) else 0).save(f"{work}/jpeg/photo{i}.jpg", quality=90)
small = picture(1000, 1000, 2)
for i in range(count):
    small.rotate(i * 3).save(f"{work}/png/shot{i}.png")
PY
printf '[scan]\nimage_fuzzy_hash = false\n' > "$work/nofuzzy.toml"

machine
printf '%-26s %-34s %8s %9s\n' input method seconds images/s
for kind in jpeg png; do
  ext=$([ $kind = jpeg ] && echo jpg || echo png)
  label="$count x $([ $kind = jpeg ] && echo '12 MP JPEG' || echo '1 MP PNG')"
  for method in mugai mugai-nofuzzy vips-copy; do
    : > "$work/runs"
    for r in $(seq 1 "$rounds"); do
      rm -rf "$work/out" "$work/state"; mkdir -p "$work/out"
      if [ $method = mugai ]; then
        timed "$mugai" sanitize -q --signatures "$work/sigs" --state "$work/state" \
          --out "$work/out" "$work/$kind"/* >> "$work/runs"
      elif [ $method = mugai-nofuzzy ]; then
        timed "$mugai" sanitize -q --config "$work/nofuzzy.toml" --signatures "$work/sigs" \
          --state "$work/state" --out "$work/out" "$work/$kind"/* >> "$work/runs"
      else
        # Same re-encode, one process per image, no scan or isolation (2 at a time, like mugai).
        opts=$([ $kind = jpeg ] && echo '[Q=90,strip]' || echo '[strip]')
        timed bash -c "ls '$work/$kind' | xargs -P $(nproc) -I{} vips copy '$work/$kind/{}' '$work/out/{}$opts'" >> "$work/runs"
      fi
    done
    [ "$(ls "$work/out" | wc -l)" -eq "$count" ] || { echo "$method: not all delivered" >&2; exit 1; }
    secs=$(median < "$work/runs")
    case $method in
      mugai) name="mugai sanitize ($(nproc) jobs)" ;;
      mugai-nofuzzy) name="mugai, image_fuzzy_hash=false" ;;
      *) name="vips copy (floor, $(nproc) at a time)" ;;
    esac
    printf '%-26s %-34s %8.2f %9.2f\n' "$label" "$name" "$secs" "$(echo "$count / $secs" | bc -l)"
  done
done
