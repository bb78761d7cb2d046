#!/usr/bin/env bash
# Segment every .txt file under a directory tree, in parallel, into a mirror tree.
#
#   cli/segment-corpus.sh SRC_DIR OUT_DIR [zhnlp segment options...]
#
# OUT_DIR/REL/PATH.txt is the segmentation of SRC_DIR/REL/PATH.txt. zhnlp writes each
# output atomically (temporary file, then rename), so an output that exists is complete:
# re-running after an interruption skips the files already done (and redoes any whose
# source is newer than its output). Files run in parallel, JOBS at a time (default: the
# number of cores); each `zhnlp segment` runs single-process. Set ZHNLP to the command to
# use (default: zhnlp). Exit status: 0 when every file succeeded, 1 otherwise.
set -euo pipefail

if [[ "${1:-}" == "__one" ]]; then   # internal: segment one file (called through xargs)
    src_dir=$2 out_dir=$3
    shift 3
    file=${!#}
    opts=("${@:1:$#-1}")
    rel=${file#"$src_dir"/}
    out="$out_dir/$rel"
    if [[ -f "$out" && ! "$file" -nt "$out" ]]; then
        echo "skip $rel" >&2
        exit 0
    fi
    mkdir -p "$(dirname "$out")"
    # shellcheck disable=SC2086
    if ${ZHNLP:-zhnlp} segment "$file" -o "$out" --allow-empty -q "${opts[@]}"; then
        echo "done $rel" >&2
    else
        echo "FAILED $rel" >&2
        exit 1   # xargs goes on with the other files and exits 123 at the end
    fi
    exit 0
fi

if [[ $# -lt 2 || "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
src_dir=${1%/}
out_dir=${2%/}
shift 2
if [[ ! -d "$src_dir" ]]; then
    echo "segment-corpus: error: $src_dir: not a directory" >&2
    exit 2
fi
mkdir -p "$out_dir"
src_abs=$(cd "$src_dir" && pwd)
out_abs=$(cd "$out_dir" && pwd)
case "$out_abs/" in "$src_abs"/*)
    echo "segment-corpus: error: OUT_DIR must not be inside SRC_DIR" >&2; exit 2;;
esac
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

status=0
find "$src_dir" -type f -name '*.txt' -print0 | sort -z |
    xargs -0 -r -n 1 -P "$jobs" bash "$0" __one "$src_dir" "$out_dir" "$@" || status=1
if [[ $status -ne 0 ]]; then
    echo "segment-corpus: some files failed (see FAILED lines above); re-run to retry them" >&2
fi
exit $status
