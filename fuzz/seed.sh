#!/usr/bin/env bash
# Seeds every fuzz target's corpus from tests/vectors/ (tokens, their payloads, key sets).
set -euo pipefail
cd "$(dirname "$0")"
vectors=../tests/vectors
mkdir -p corpus/verify corpus/claims corpus/jwks corpus/base64_differential
grep -hv '^#' "$vectors"/tokens.tsv "$vectors"/independent.tsv | cut -f1,6 |
  while IFS=$'\t' read -r name token; do
    printf '%s' "$token" >"corpus/verify/$name"
    payload=$(cut -d. -f2 <<<"$token")
    printf '%s' "$payload" >"corpus/base64_differential/$name"
    padding=$(((4 - ${#payload} % 4) % 4))
    { printf '%s' "$payload" | tr '_-' '/+'; head -c "$padding" /dev/zero | tr '\0' '='; } |
      base64 -d >"corpus/claims/$name" 2>/dev/null || true
  done
cp "$vectors"/*.jwks "$vectors"/idp/*.jwks corpus/jwks/
