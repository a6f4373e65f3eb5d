#!/bin/sh
# Builds the seed corpora in fuzz/corpus/<target>/ from tests/fixtures/**.
# Each input starts with one byte choosing what the target parses (see the
# target's doc comment), followed by the fixture's bytes.
set -eu
cd "$(dirname "$0")"
fx=../tests/fixtures
seed() { # target op-byte-octal file
    mkdir -p "corpus/$1"
    { printf "\\$2"; cat "$3"; } > "corpus/$1/$(basename "$3").$2"
}
for f in "$fx"/zuora_soap/*.xml; do
    for op in 000 001 002; do seed zuora_soap $op "$f"; done
done
for f in "$fx"/zuora_rest/*.json; do
    seed zuora_rest 000 "$f"
    seed zuora_rest 001 "$f"
done
for f in "$fx"/salesforce_rest/*.json; do
    seed salesforce_rest 000 "$f"
    seed salesforce_rest 001 "$f"
done
for f in "$fx"/salesforce_bulk/*.csv; do
    case "$f" in *caret*) op=001 ;; *) op=000 ;; esac
    seed salesforce_bulk_csv $op "$f"
done
for f in "$fx"/salesforce_soap/*.xml; do
    for op in 000 001 002 003; do seed salesforce_soap $op "$f"; done
done
tmp=$(mktemp -d)
printf 'api-usage=18/5000; per-app-api-usage=17/250(appName=sample)' > "$tmp/limit_info"
seed salesforce_rest 002 "$tmp/limit_info"
printf '{"access_token":"00D!x","instance_url":"https://na1.example.com","token_type":"Bearer","issued_at":"1700000000000"}' > "$tmp/token_ok"
printf '{"access_token":"t","token_type":"bearer","expires_in":3599,"scope":"s","jti":"j"}' > "$tmp/token_zuora"
printf '{"error":"invalid_client","error_description":"invalid client credentials"}' > "$tmp/token_err"
for f in "$tmp"/token_*; do seed salesforce_rest 003 "$f"; seed salesforce_rest 007 "$f"; done
printf '{"FaultCode":"INVALID_VALUE","FaultMessage":"invalid queryLocator x"}' > "$tmp/zuora_fault"
printf '{"message":"Authentication error"}' > "$tmp/zuora_401"
for f in "$tmp"/zuora_*; do seed zuora_rest 001 "$f"; seed zuora_rest 003 "$f"; done
rm -r "$tmp"
